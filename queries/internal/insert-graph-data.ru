# title: Write a staging graph with SPARQL Update
# description: For servers without the Graph Store Protocol: empty and create
#   the graph, then insert the file's triples (N-Triples, which is valid inside
#   INSERT DATA) into it, in one request.
# parameters: <urn:clusterkg:param:graph> is replaced by a graph IRI written by
#   pyoxigraph (str(NamedNode(iri))); the empty block after it inside INSERT DATA
#   receives the triples, serialized by pyoxigraph.
DROP SILENT GRAPH <urn:clusterkg:param:graph> ;
CREATE GRAPH <urn:clusterkg:param:graph> ;
INSERT DATA { GRAPH <urn:clusterkg:param:graph> { } }
