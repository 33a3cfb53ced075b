# title: Switch a staged graph into place
# description: Replace the content of the target graph by that of the staging
#   graph (COPY drops the target first). `clusterkg load` sends one such
#   operation per file, joined by ";" in ONE update request, so the server
#   switches every graph in one transaction; staging graphs are dropped after.
# parameters: <urn:clusterkg:param:staging> and <urn:clusterkg:param:target> are
#   replaced by graph IRIs written by pyoxigraph (str(NamedNode(iri))).
COPY GRAPH <urn:clusterkg:param:staging> TO GRAPH <urn:clusterkg:param:target>
