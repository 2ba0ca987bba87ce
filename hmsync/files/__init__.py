"""The files stage: reading and checking the template files, offline.

Takes: paths of YAML files (and an environment's vars and overlays). Gives: documents that
remember where each value stands (file, line, column) and every problem at once, located:
YAML with positions (yamlfile, loader), `${...}` values, overlays (overlay), the JSON Schema and
its fast check (schema, fastcheck), the checks a schema cannot say (semantic, semantic_v2), and
the cache of what unchanged files gave (filecache). Imports nothing above it."""
