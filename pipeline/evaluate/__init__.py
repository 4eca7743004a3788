"""`jobs.evaluate`: how well a model trained on a synthetic dataset alone segments real scans."""
