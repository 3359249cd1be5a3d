"""HTTP side of the registry: OCI Distribution API views, thin over ``registry.services``."""
