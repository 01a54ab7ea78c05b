# Shared by the experiment scripts (sourced): stop on errors; the nasc binary ($NASC, or the
# release build) and the output directory (the script's first argument, else $DEFAULT_DIR).
set -euo pipefail
N=${NASC:-target/release/nasc}
D=${1:-$DEFAULT_DIR}
mkdir -p "$D"
