# Sourced by the scripts that start a server: `url=$(listening_url LOG PID)` waits until
# the server started in the background with its log in LOG says where it listens, and
# prints the URL; it fails (printing the log) if the process PID dies first or SECONDS
# (third argument, default 30) pass.
listening_url() {
  local log=$1 pid=$2 url=""
  for _ in $(seq 1 $((${3:-30} * 10))); do
    url=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -1 | sed 's/listening on //') || true
    [[ -n "$url" ]] && { echo "$url"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  echo "the server did not start" >&2
  return 1
}
