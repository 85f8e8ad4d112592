"""Assemble Apache Kafka from Maven Central: a Java check and the broker's classpath.

The recipe is infra/kafka/pom.xml (kafka_2.13 plus the SLF4J binding that the binary
distribution ships but the Maven artifact does not). `mvn dependency:build-classpath`
downloads the jars once into the user's Maven repository (~/.m2) and names them; the list
is cached beside them (CRM_KAFKA_CACHE, default ~/.m2/genims-crm), so later starts run no
Maven at all and work offline.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

DEFAULT_VERSION = "4.1.1"
# Versions whose cluster the tests brought up and failed over (docs/kafka.md).
TESTED_VERSIONS = ("4.1.1", "4.0.0", "4.4.0")
MIN_JAVA = 17
MAVEN_TIMEOUT = 600.0
RECIPE = Path(__file__).resolve().parents[2] / "infra" / "kafka" / "pom.xml"
_VERSION = re.compile(r"^4\.\d+\.\d+$")

INSTALL_HINT = (
    "Apache Kafka needs Java {min}+ and Maven to assemble it (Debian: "
    "`apt-get install openjdk-17-jre-headless maven`). Without them `crm` keeps using its "
    "embedded broker (Tansu): leave CRM_KAFKA_BOOTSTRAP unset."
)


class KafkaUnavailable(RuntimeError):
    """Apache Kafka cannot be assembled or run here (no Java, no Maven, unknown version)."""


def java_binary() -> str:
    """The `java` to run brokers with ($JAVA_HOME first, then PATH), checked to be 17+."""
    home = os.environ.get("JAVA_HOME", "").strip()
    candidate = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not candidate or not Path(candidate).is_file():
        raise KafkaUnavailable(f"no Java found. {INSTALL_HINT.format(min=MIN_JAVA)}")
    major = java_major(candidate)
    if major < MIN_JAVA:
        raise KafkaUnavailable(f"{candidate} is Java {major}; Kafka 4 brokers need "
                               f"Java {MIN_JAVA}+. {INSTALL_HINT.format(min=MIN_JAVA)}")
    return candidate


def java_major(java: str) -> int:
    """The major version `java -version` reports (8 for "1.8.0_…", 17 for "17.0.15")."""
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not found:
        return 0
    first, second = int(found.group(1)), int(found.group(2) or 0)
    return second if first == 1 else first


def java_available() -> bool:
    """True when a Java 17+ is installed (Maven is checked only when jars are missing)."""
    try:
        java_binary()
    except KafkaUnavailable:
        return False
    return True


def check_version(version: str) -> str:
    """Accept Kafka 4.x.y only: the KRaft-only line whose settings this module writes."""
    if not _VERSION.match(version):
        raise KafkaUnavailable(f"Kafka version {version!r} is not supported: use a 4.x.y "
                               f"release (tested: {', '.join(TESTED_VERSIONS)})")
    return version


def cache_dir() -> Path:
    """Where the resolved classpaths are kept (the jars stay in Maven's repository)."""
    configured = os.environ.get("CRM_KAFKA_CACHE", "").strip()
    return Path(configured) if configured else Path.home() / ".m2" / "genims-crm"


def classpath(version: str = DEFAULT_VERSION) -> list[Path]:
    """The jars of Apache Kafka `version`, downloading them with Maven on first use."""
    check_version(version)
    listing = cache_dir() / f"kafka-{version}.classpath"
    jars = _cached(listing)
    if jars:
        return jars
    with _locked(listing.with_suffix(".lock")):  # two `up`s at once run Maven once
        jars = _cached(listing)
        if not jars:
            jars = _resolve(version)
            tmp = listing.with_suffix(".tmp")
            tmp.write_text(os.pathsep.join(str(j) for j in jars))
            tmp.replace(listing)
    return jars


def _cached(listing: Path) -> list[Path]:
    """The cached classpath, or [] when absent or a jar has since gone from ~/.m2."""
    try:
        jars = [Path(p) for p in listing.read_text().split(os.pathsep) if p]
    except OSError:
        return []
    return jars if jars and all(j.is_file() for j in jars) else []


def _resolve(version: str) -> list[Path]:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaUnavailable(f"no Maven (`mvn`) to assemble Kafka {version}. "
                               f"{INSTALL_HINT.format(min=MIN_JAVA)}")
    if not RECIPE.is_file():
        raise KafkaUnavailable(f"the recipe {RECIPE} is missing (run from a source checkout)")
    with tempfile.TemporaryDirectory(prefix="crm-kafka-mvn-") as tmp:
        out = Path(tmp) / "classpath.txt"
        args = [mvn, "-q", "-B", "-f", str(RECIPE), f"-Dkafka.version={version}",
                "dependency:build-classpath", f"-Dmdep.outputFile={out}"]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=MAVEN_TIMEOUT,
                                  cwd=tmp)
        except subprocess.TimeoutExpired as exc:
            raise KafkaUnavailable(f"Maven did not resolve Kafka {version} in "
                                   f"{MAVEN_TIMEOUT:.0f}s") from exc
        if done.returncode != 0 or not out.is_file():
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise KafkaUnavailable(f"Maven could not resolve Kafka {version}:\n{tail}")
        jars = [Path(p) for p in out.read_text().strip().split(os.pathsep) if p]
    if not any(j.name == f"kafka_2.13-{version}.jar" for j in jars):
        raise KafkaUnavailable(f"Maven's classpath for Kafka {version} lacks the broker jar")
    return jars


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield
