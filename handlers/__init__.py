"""One module per practice, or one package per practice with several modules (`decisions/`,
`roles/`, `meetings/`, `rituals/`); `handlers/practices.py` lists them."""
