"""OCI images without a Docker engine: a registry client and reproducible layers."""
