"""clusterkg: an open knowledge graph of innovation clusters.

Modules are the verbs of the job: ``graph`` loads the Turtle into the embedded
store, ``validate`` checks it against the SHACL shapes, ``query`` runs the canned
SPARQL queries, ``remote`` talks to SPARQL servers, ``report`` writes the report.
"""

__version__ = "0.1.0"
