"""My add-ons and purchase history: what a signed-in user holds and has bought."""
