#!/usr/bin/env bash
# Install the Debian packages Voxroom needs, only those missing. Usage: apt-install.sh runtime|test
set -euo pipefail
runtime=(python3 python3-venv libportaudio2 libsndfile1)
test=(libasound2-plugins pulseaudio pulseaudio-utils xvfb xdotool tmux x11-utils)
case "${1:-runtime}" in
  runtime) want=("${runtime[@]}") ;;
  test) want=("${runtime[@]}" "${test[@]}") ;;
  *) echo "usage: $0 runtime|test" >&2; exit 2 ;;
esac
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "apt-get install ${missing[*]}" >&2
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
