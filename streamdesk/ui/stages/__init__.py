"""One module per wizard card: account, provision, obs, golive, live (live + end + summary)."""
