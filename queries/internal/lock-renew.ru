# title: Renew the load lock
# description: Push back the expiry of the loader's own claim (after each
#   uploaded graph), if it still holds it.
# parameters: <urn:clusterkg:param:owner> (IRI), <urn:clusterkg:param:expires>
#   (the old expiry) and <urn:clusterkg:param:renewed> (the new one), written by
#   pyoxigraph.
PREFIX ckc: <https://w3id.org/clusterkg/catalogue#>

DELETE { GRAPH <https://w3id.org/clusterkg/catalogue/lock> { <urn:clusterkg:param:owner> ckc:expires <urn:clusterkg:param:expires> } }
INSERT { GRAPH <https://w3id.org/clusterkg/catalogue/lock> { <urn:clusterkg:param:owner> ckc:expires <urn:clusterkg:param:renewed> } }
WHERE {
  GRAPH <https://w3id.org/clusterkg/catalogue/lock> { <urn:clusterkg:param:owner> ckc:expires <urn:clusterkg:param:expires> }
}
