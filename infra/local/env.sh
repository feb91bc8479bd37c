# shellcheck shell=bash
# The local stack's settings, in one place. Sourced by infra/local/stack and tools/bootstrap.sh;
# every value can be overridden from the environment before running them.
#
#   EARSHOT_KAFKA_PORT             9092          Kafka client listener (PLAINTEXT, 127.0.0.1)
#   EARSHOT_KAFKA_CONTROLLER_PORT  9093          KRaft controller listener (127.0.0.1)
#   EARSHOT_REGISTRY_PORT          8081          schema registry HTTP (Confluent API under /apis/ccompat/v7)
#   EARSHOT_PG_PORT                5432          PostgreSQL (127.0.0.1)
#   EARSHOT_LOCAL_DIR              <repo>/.local data, logs and pid files of the running stack
#   EARSHOT_CACHE_DIR              <repo>/.cache jars fetched by tools/bootstrap.sh
#   EARSHOT_STACK_TIMEOUT          90            seconds `stack up` waits for each part to be healthy
#
# PostgreSQL defaults (local development only; production passes its own):
#   database `earshot`, role `earshot`, password `earshot`; the registry keeps its schemas in the
#   database `earshot_registry`, owned by the same role.

EARSHOT_REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

: "${EARSHOT_KAFKA_PORT:=9092}"
: "${EARSHOT_KAFKA_CONTROLLER_PORT:=9093}"
: "${EARSHOT_REGISTRY_PORT:=8081}"
: "${EARSHOT_PG_PORT:=5432}"
: "${EARSHOT_LOCAL_DIR:=$EARSHOT_REPO_DIR/.local}"
: "${EARSHOT_CACHE_DIR:=$EARSHOT_REPO_DIR/.cache}"
: "${EARSHOT_STACK_TIMEOUT:=90}"

# Fixed names (the Kafka and registry versions live in infra/local/kafka/pom.xml and registry/pom.xml).
EARSHOT_PG_DB=earshot
EARSHOT_PG_USER=earshot
EARSHOT_PG_PASSWORD=earshot
EARSHOT_REGISTRY_DB=earshot_registry
EARSHOT_KAFKA_LIB="$EARSHOT_CACHE_DIR/kafka/lib"
EARSHOT_REGISTRY_HOME="$EARSHOT_CACHE_DIR/registry/app"

export EARSHOT_REPO_DIR EARSHOT_KAFKA_PORT EARSHOT_KAFKA_CONTROLLER_PORT EARSHOT_REGISTRY_PORT \
  EARSHOT_PG_PORT EARSHOT_LOCAL_DIR EARSHOT_CACHE_DIR EARSHOT_STACK_TIMEOUT
