"""Predict the memory (GB) of JWST Level-3 products from the headers of their uncal exposures; ingest, train and predict."""
