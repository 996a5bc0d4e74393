"""Loading the split spec source: YAML with source lines, bundling, validation and lint rules."""
