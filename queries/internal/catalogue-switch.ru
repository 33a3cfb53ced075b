# title: Switch the catalogue to new versions of the graphs
# description: One update request, so one transaction: forget the current
#   version of each loaded graph and name the new one, but only while the
#   loader still holds the load lock (a loader whose lock was broken, because
#   it expired, switches nothing). Readers see every graph all old or all new.
# parameters: <urn:clusterkg:param:owner> is the lock owner's IRI; the empty
#   `VALUES ?graph { }` block receives the loaded graphs and the empty
#   `VALUES (?graph ?version) { }` block their new versions, all written by
#   pyoxigraph (str(NamedNode(iri))).
PREFIX ckc: <https://w3id.org/clusterkg/catalogue#>

DELETE { GRAPH <https://w3id.org/clusterkg/catalogue> { ?graph ckc:current ?old } }
WHERE {
  GRAPH <https://w3id.org/clusterkg/catalogue/lock> { <urn:clusterkg:param:owner> ckc:expires ?expires }
  VALUES ?graph { }
  GRAPH <https://w3id.org/clusterkg/catalogue> { ?graph ckc:current ?old }
} ;
INSERT { GRAPH <https://w3id.org/clusterkg/catalogue> { ?graph ckc:current ?version } }
WHERE {
  GRAPH <https://w3id.org/clusterkg/catalogue/lock> { <urn:clusterkg:param:owner> ckc:expires ?expires }
  VALUES (?graph ?version) { }
}
