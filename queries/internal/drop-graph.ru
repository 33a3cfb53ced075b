# title: Drop a graph
# description: Remove a named graph and its triples, if it exists (staging
#   graphs after a load, project graphs before `clusterkg serve` reloads them).
# parameters: <urn:clusterkg:param:graph> is replaced by a graph IRI written by
#   pyoxigraph (str(NamedNode(iri))).
DROP SILENT GRAPH <urn:clusterkg:param:graph>
