"""A real Apache Kafka cluster on demand (`crm kafka ...`), beside the embedded Tansu broker.

`assemble` resolves the broker's jars from Maven Central with the committed recipe
(infra/kafka/pom.xml), `layout` writes a cluster's files and formats its KRaft storage,
`cluster` runs N combined controller+broker JVMs (`nodes`) on loopback under
CRM_HOME/kafka. The command line is crm/cli/kafka.py. See docs/kafka.md.
"""
