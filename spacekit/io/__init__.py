"""Read and write the formats astronomers use (csv, hdf5, fits, json, png, asdf, npz) into pandas DataFrames, numpy arrays and astropy Tables, with schema checks and atomic writes.

Layer 1 (access)."""
