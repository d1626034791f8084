"""Recall evidence bundles: what goes in them, and the verifier that travels with them."""
