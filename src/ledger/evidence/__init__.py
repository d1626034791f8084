"""Recall evidence bundles: a zip a regulator can verify offline, and its verifier."""
