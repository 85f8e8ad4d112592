"""Adapters over the Kafka client (confluent-kafka / librdkafka) for what it answers
differently across brokers; each module says which behaviour it works around and why."""
