"""Flag misaligned HST single-visit mosaics from quality-analysis features and rendered image frames; ingest, train, evaluate and predict."""
