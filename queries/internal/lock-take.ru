# title: Take the load lock
# description: Claim the lock graph <https://w3id.org/clusterkg/catalogue/lock>
#   if nobody holds it. Two loaders can both see it free at the same instant
#   (snapshot isolation), so the loader reads the lock back (lock.rq) and goes
#   on only if it is the one and only holder; otherwise it withdraws its claim
#   (lock-release.ru) and tries again later.
# parameters: <urn:clusterkg:param:owner> (an urn:uuid: IRI of this load),
#   <urn:clusterkg:param:since> and <urn:clusterkg:param:expires>
#   (xsd:dateTime literals, the loader's clock), written by pyoxigraph.
PREFIX ckc: <https://w3id.org/clusterkg/catalogue#>

INSERT {
  GRAPH <https://w3id.org/clusterkg/catalogue/lock> {
    <urn:clusterkg:param:owner> ckc:since <urn:clusterkg:param:since> ;
                                ckc:expires <urn:clusterkg:param:expires> .
  }
}
WHERE {
  FILTER NOT EXISTS { GRAPH <https://w3id.org/clusterkg/catalogue/lock> { ?holder ckc:expires ?any } }
}
