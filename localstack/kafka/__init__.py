"""A real Apache Kafka cluster on demand (`crm kafka ...`), beside the embedded Tansu broker.

`assemble` resolves the broker's jars from Maven Central with the committed recipe
(infra/kafka/pom.xml), `cluster` formats KRaft storage and runs N combined
controller+broker JVMs on loopback under CRM_HOME/kafka, `cli` is the Typer sub-app.
See docs/kafka.md.
"""
