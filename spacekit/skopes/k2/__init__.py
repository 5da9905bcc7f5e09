"""Classify stellar flux series as containing a transiting planet or not: build training sets from real light curves with injected transits, train a 1D CNN, evaluate leave-one-star-out, predict."""
