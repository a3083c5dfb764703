"""One module per practice; `handlers/practices.py` lists them."""
