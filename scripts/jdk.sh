# Sourced by ./iac and .ci/run: exports JAVA_HOME pointing at a JDK whose version is at least 21.
# Order: an explicit JAVA_HOME that qualifies, the java on PATH, then the newest JDK under /usr/lib/jvm
# (these machines' default java is 17, with Temurin beside it).
iac_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1
}
iac_jdk_ok() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  local major; major=$(iac_java_major "$1")
  [ -n "$major" ] && [ "$major" -ge 21 ] 2>/dev/null
}
iac_select_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && iac_jdk_ok "$JAVA_HOME"; then return 0; fi
  local candidate
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    if iac_jdk_ok "$candidate"; then export JAVA_HOME="$candidate"; return 0; fi
  fi
  for candidate in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sed 's#/$##' | sort -V -r); do
    if iac_jdk_ok "$candidate"; then export JAVA_HOME="$candidate"; return 0; fi
  done
  echo "iac: no JDK 21 or newer found (checked JAVA_HOME, PATH and /usr/lib/jvm). Install one or set JAVA_HOME." >&2
  return 1
}
