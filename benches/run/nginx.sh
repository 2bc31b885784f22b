#!/bin/sh
# Local nginx for the `runbook run` benchmarks: 127.0.0.1:$BENCH_PORT only
# (default 18080).
#   GET /health, GET /item/<n>  ->  200 {"status":"ok"}
# Config, pid, logs and temp files live in $NGINX_DIR (default below).
# usage: nginx.sh start|stop
set -eu
DIR=${NGINX_DIR:-${TMPDIR:-/tmp}/runbook-bench-nginx}
PORT=${BENCH_PORT:-18080}

running() { [ -f "$DIR/nginx.pid" ] && kill -0 "$(cat "$DIR/nginx.pid")" 2>/dev/null; }

case "${1:-}" in
start)
    if running; then echo "nginx already running (pid $(cat "$DIR/nginx.pid"))"; exit 0; fi
    mkdir -p "$DIR"
    cat > "$DIR/nginx.conf" <<CONF
daemon on;
worker_processes 2;
pid $DIR/nginx.pid;
error_log $DIR/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_timeout 65s;
    keepalive_requests 100000;
    client_body_temp_path $DIR/client_body;
    proxy_temp_path $DIR/proxy;
    fastcgi_temp_path $DIR/fastcgi;
    uwsgi_temp_path $DIR/uwsgi;
    scgi_temp_path $DIR/scgi;
    default_type application/json;
    server {
        listen 127.0.0.1:$PORT;
        location = /health       { return 200 '{"status":"ok"}'; }
        location ~ ^/item/[0-9]+\$ { return 200 '{"status":"ok"}'; }
        location /               { return 404; }
    }
}
CONF
    nginx -p "$DIR" -e "$DIR/error.log" -c "$DIR/nginx.conf"
    echo "nginx listening on 127.0.0.1:$PORT (pid $(cat "$DIR/nginx.pid"), dir $DIR)"
    ;;
stop)
    if ! running; then echo "nginx not running"; exit 0; fi
    pid=$(cat "$DIR/nginx.pid")
    kill "$pid"
    i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
    echo "nginx stopped (pid $pid)"
    ;;
*)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
