#!/usr/bin/env bash
# Installs what this machine lacks to build, test and run Earshot locally, and fetches the Kafka and
# schema-registry jars from Maven Central into the project's cache folder. Idempotent: when everything
# is present it touches neither apt nor the network. It does not run `npm install` (run that after
# this script: the capture addon (libs/capture/native) is compiled with cc against libpcap-dev, installed here).
#   tools/bootstrap.sh
set -euo pipefail

# shellcheck source=../infra/local/env.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/infra/local/env.sh"
cd "$EARSHOT_REPO_DIR"

step() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

has_pkg() { dpkg -s "$1" >/dev/null 2>&1; }
java_ok() {
  command -v java >/dev/null 2>&1 || return 1
  local v
  v="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  [[ "${v%%.*}" =~ ^[0-9]+$ ]] && (( ${v%%.*} >= 17 ))
}
pg_ok() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }

# 1. System packages: check each by what we actually use, apt only for the missing ones.
missing=()
pg_ok || missing+=(postgresql)
has_pkg libpcap-dev || missing+=(libpcap-dev)
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
command -v tshark >/dev/null 2>&1 || missing+=(tshark)
command -v sox >/dev/null 2>&1 || missing+=(sox)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)  # independent G.722 reference decode in tests
command -v chromium >/dev/null 2>&1 || missing+=(chromium)  # the console's end-to-end test (playwright-core drives it)
java_ok || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if (( ${#missing[@]} == 0 )); then
  step "system packages: all present (postgresql, libpcap-dev, a C compiler, sipp, tshark, sox, ffmpeg, chromium, java 17+, maven)"
else
  step "system packages: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to apt-get install ${missing[*]}"
    SUDO=(sudo -E)
  else
    SUDO=()
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  step "system packages: installed ${missing[*]}"
  # Debian's postgresql package creates and may start its own cluster on 5432, the port of the
  # project's private cluster. Only for a cluster this run just installed: stop it, no autostart.
  if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_lsclusters >/dev/null 2>&1; then
    while read -r ver name _; do
      [[ -n "$ver" && -n "$name" ]] || continue
      "${SUDO[@]}" pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true
      echo manual | "${SUDO[@]}" tee "/etc/postgresql/$ver/$name/start.conf" >/dev/null
      step "postgresql: stopped Debian's default cluster $ver/$name (start.conf: manual) so the project's cluster can use its port"
    done < <(pg_lsclusters -h 2>/dev/null)
  fi
fi

# Runs a maven-dependency-plugin goal of a pom into a folder, unless a stamp of that pom's content is
# there. $1 pom, $2 output folder, $3 what (for the log line), $4 goal (default copy-dependencies).
fetch_jars() {
  local pom=$1 out=$2 what=$3 goal=${4:-copy-dependencies} stamp
  stamp="$out/.pom-$(sha256sum "$pom" | cut -c1-16)"
  FETCHED=0
  if [[ -f "$stamp" ]]; then
    step "$what: cached in ${out#"$EARSHOT_REPO_DIR"/}"
    return
  fi
  step "$what: fetching from Maven Central (mvn dependency:$goal)"
  rm -rf "$out"
  mkdir -p "$out"
  local log
  if ! log="$(mvn -q -B -Dstyle.color=never -f "$pom" "dependency:$goal" -DoutputDirectory="$out" 2>&1)"; then
    printf '%s\n' "$log" >&2
    die "$what: mvn could not fetch the jars listed in $pom (is Maven Central reachable?)"
  fi
  touch "$stamp"
}

# 2. Kafka broker jars (kafka.Kafka, kafka.tools.StorageTool).
fetch_jars infra/local/kafka/pom.xml "$EARSHOT_KAFKA_LIB" "kafka jars"

# 3. Apicurio Registry: a tar.gz holding a Quarkus runner jar and its lib/, unpacked into .cache/registry/app.
registry_jar() { compgen -G "$EARSHOT_REGISTRY_HOME/apicurio-registry-app-*-runner.jar" || compgen -G "$EARSHOT_REGISTRY_HOME/quarkus-run.jar"; }
reg_pom=infra/local/registry/pom.xml
reg_stamp="$EARSHOT_REGISTRY_HOME/.pom-$(sha256sum "$reg_pom" | cut -c1-16)"
if [[ -f "$reg_stamp" ]] && registry_jar >/dev/null; then
  step "schema registry (apicurio): cached in ${EARSHOT_REGISTRY_HOME#"$EARSHOT_REPO_DIR"/}"
else
  dl="$EARSHOT_CACHE_DIR/registry/dl"
  fetch_jars "$reg_pom" "$dl" "schema registry (apicurio)" copy
  archive="$(compgen -G "$dl/apicurio-registry-app-*-all.tar.gz" | head -n1 || true)"
  [[ -n "$archive" ]] || die "schema registry: no apicurio-registry-app-*-all.tar.gz in $dl"
  rm -rf "$EARSHOT_REGISTRY_HOME"
  mkdir -p "$EARSHOT_REGISTRY_HOME"
  tar -xzf "$archive" -C "$EARSHOT_REGISTRY_HOME"
  registry_jar >/dev/null || die "schema registry: $archive holds no runner jar"
  touch "$reg_stamp"
  rm -rf "$dl"   # the archive stays in ~/.m2; no need for a third copy
  step "schema registry (apicurio): unpacked into ${EARSHOT_REGISTRY_HOME#"$EARSHOT_REPO_DIR"/}"
fi

step "done (next: npm install, then infra/local/stack up)"
