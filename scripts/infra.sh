#!/usr/bin/env bash
# infra.sh: our own Redis, PostgreSQL, RabbitMQ, Mosquitto and S3 server
# (versitygw) for the Dapr component sets in components/, on loopback, on
# non-default ports, under a run dir: never the system services.
#
#   scripts/infra.sh up|down|status|reset [TARGET...]
#   scripts/infra.sh rundir          print the run dir
#   scripts/infra.sh install TOOL... install tools from Debian packages when
#                                    missing (ffmpeg: ffmpeg and ffprobe;
#                                    chromium: /usr/bin/chromium and its
#                                    fonts, for the browser tests; nginx:
#                                    /usr/sbin/nginx, for the media delivery
#                                    benchmark, with no system service
#                                    started; s3: versitygw, built from the
#                                    Go module proxy by scripts/versitygw.sh)
#
# TARGET is a server (redis, postgres, rabbitmq, mosquitto, s3), a component
# set (redis, rabbitmq-postgres, mqtt-sqlite, redis-s3) or all (the default).
#
# up installs the Debian packages that are missing (as root, or through sudo),
# starts each server once and waits until it accepts connections; when it
# already does, up is a no-op. down stops what up started. reset empties a
# running server's data (keys, tables, queues, retained messages) and the
# SQLite files, for a fresh platform in tests. Run dir:
# ${DFLIX_RUN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dflix/run}. Ports are fixed
# because the component YAML names them: Redis 16379, PostgreSQL 15432,
# RabbitMQ AMQP 15673 (distribution 25673, epmd 14369), Mosquitto 11883, S3
# 19000 (versitygw's posix backend under the run dir; bucket "dflix", access
# key "dflix", secret "dflix-test-secret": test credentials, loopback only).
set -euo pipefail

RUN_DIR=${DFLIX_RUN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dflix/run}
HOST=127.0.0.1
REDIS_PORT=16379
PG_PORT=15432
PG_DB=dflix
RABBIT_PORT=15673
RABBIT_DIST_PORT=25673
RABBIT_EPMD_PORT=14369
RABBIT_NODE=dflix@localhost
MQTT_PORT=11883
S3_PORT=19000
S3_BUCKET=dflix
S3_ACCESS_KEY=dflix
S3_SECRET_KEY=dflix-test-secret
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Seconds each server gets to accept connections after a start.
TIMEOUT=${DFLIX_INFRA_TIMEOUT:-120}

log() { printf 'infra: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
# since START: seconds elapsed, one decimal.
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# servers_for TARGET...: the servers behind targets, each once, in start order.
servers_for() {
	local t out=()
	for t in "$@"; do
		case $t in
		all) out+=(redis postgres rabbitmq mosquitto s3) ;;
		redis) out+=(redis) ;;
		postgres | postgresql) out+=(postgres) ;;
		rabbitmq) out+=(rabbitmq) ;;
		mosquitto | mqtt) out+=(mosquitto) ;;
		rabbitmq-postgres) out+=(rabbitmq postgres) ;;
		mqtt-sqlite) out+=(mosquitto) ;;
		s3) out+=(s3) ;;
		redis-s3) out+=(redis s3) ;;
		kubernetes) ;; # a set for a cluster: nothing to run here
		*) die "unknown target '$t' (want redis, postgres, rabbitmq, mosquitto, s3, all or a set: redis, rabbitmq-postgres, mqtt-sqlite, redis-s3)" ;;
		esac
	done
	local s seen=" "
	for s in ${out[@]+"${out[@]}"}; do
		case $seen in *" $s "*) continue ;; esac
		seen+="$s "
		printf '%s\n' "$s"
	done
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# wait_for NAME CHECK...: run CHECK until it succeeds, TIMEOUT seconds at most.
wait_for() {
	local name=$1 deadline=$((SECONDS + TIMEOUT))
	shift
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			die "$name did not accept connections within ${TIMEOUT}s (log under $RUN_DIR/$name)"
		fi
		sleep 0.2
	done
}

# wait_gone PIDFILE NAME: wait until the pid in PIDFILE has exited.
wait_gone() {
	local pidfile=$1 name=$2 pid deadline=$((SECONDS + 60))
	[[ -s $pidfile ]] || return 0
	pid=$(<"$pidfile")
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			die "$name (pid $pid) did not stop within 60s"
		fi
		sleep 0.2
	done
	rm -f "$pidfile"
}

as_root() {
	if ((EUID == 0)); then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

# ensure_packages PKG...: install the Debian packages that are missing. The
# postinst scripts must not start system services: when the machine has no
# policy-rc.d we add one that forbids starts for the length of the install.
ensure_packages() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	command -v apt-get >/dev/null 2>&1 || die "missing packages ${missing[*]} and no apt-get to install them"
	local start policy=/usr/sbin/policy-rc.d added=0
	start=$(now)
	log "installing ${missing[*]} (Debian packages)"
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# dflix infra.sh: no service starts during package installs\nexit 101\n' | as_root tee "$policy" >/dev/null
		as_root chmod 755 "$policy"
		added=1
	fi
	local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}")
	# apt-get update only when the package lists are missing or stale.
	if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || ! as_root "${apt[@]}" >&2; then
		as_root apt-get update >&2
		as_root "${apt[@]}" >&2 || { ((added == 0)) || as_root rm -f "$policy"; die "apt-get install ${missing[*]} failed"; }
	fi
	((added == 0)) || as_root rm -f "$policy"
	log "installed ${missing[*]} in $(since "$start")s"
}

# --- Redis -------------------------------------------------------------------

redis_ready() { [[ $(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

redis_up() {
	ensure_packages redis-server
	if redis_ready; then
		log "redis already running on $HOST:$REDIS_PORT"
		return 0
	fi
	port_open "$REDIS_PORT" && die "port $REDIS_PORT is taken by something that is not our Redis"
	local dir=$RUN_DIR/redis
	mkdir -p "$dir/data"
	cat >"$dir/redis.conf" <<-EOF
		# written by scripts/infra.sh
		bind $HOST
		port $REDIS_PORT
		protected-mode yes
		daemonize yes
		pidfile $dir/redis.pid
		logfile $dir/redis.log
		dir $dir/data
		appendonly yes
		appendfsync everysec
		save 60 1000
	EOF
	redis-server "$dir/redis.conf" 9>&-
	wait_for redis redis_ready
}

redis_down() {
	local pidfile=$RUN_DIR/redis/redis.pid
	if redis_ready; then
		redis-cli -h "$HOST" -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
	fi
	wait_gone "$pidfile" redis
}

redis_status() { redis_ready; }

# --- PostgreSQL ----------------------------------------------------------------

pg_bin() {
	local d
	d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
	[[ -n $d ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
	printf '%s\n' "$d"
}

# as_pg CMD...: PostgreSQL refuses to run as root, so root runs it as the
# postgres user that the Debian package creates.
as_pg() {
	if ((EUID == 0)); then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_data: the cluster's data directory. As root it cannot live under a home
# the postgres user cannot enter (/root is 0700), so it goes under
# /var/lib/postgresql/dflix/<hash of the run dir>, linked from the run dir.
pg_data() {
	if ((EUID == 0)) && ! runuser -u postgres -- test -x "$RUN_DIR" 2>/dev/null; then
		local key
		key=$(printf '%s' "$RUN_DIR" | cksum | cut -d' ' -f1)
		printf '/var/lib/postgresql/dflix/%s/data\n' "$key"
	else
		printf '%s/postgres/data\n' "$RUN_DIR"
	fi
}

pg_ready() { pg_isready -q -h "$HOST" -p "$PG_PORT" -d postgres -U postgres; }

postgres_up() {
	ensure_packages postgresql
	local bin data dir=$RUN_DIR/postgres
	bin=$(pg_bin)
	data=$(pg_data)
	mkdir -p "$dir"
	if ! pg_ready; then
		port_open "$PG_PORT" && die "port $PG_PORT is taken by something that is not our PostgreSQL"
		if [[ ! -s $data/PG_VERSION ]]; then
			mkdir -p "$data"
			((EUID != 0)) || chown -R postgres:postgres "$(dirname "$data")"
			chmod 700 "$data"
			as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
				die "initdb failed: see $dir/initdb.log"
			cat >>"$data/postgresql.conf" <<-EOF
				# written by scripts/infra.sh
				listen_addresses = '$HOST'
				port = $PG_PORT
				unix_socket_directories = ''
				fsync = on
			EOF
			printf 'host all all %s/32 trust\n' "$HOST" >"$data/pg_hba.conf"
		fi
		[[ $data == "$dir/data" ]] || ln -sfn "$data" "$dir/data"
		# The server log lives in the data dir: the postgres user can write there.
		as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t "$TIMEOUT" start >/dev/null 9>&- ||
			die "PostgreSQL did not start: see $data/server.log"
		wait_for postgres pg_ready
	else
		log "postgres already running on $HOST:$PG_PORT"
	fi
	if [[ -z $(psql -h "$HOST" -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'") ]]; then
		psql -q -h "$HOST" -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE $PG_DB" >/dev/null
		log "created database $PG_DB"
	fi
}

postgres_down() {
	local data
	data=$(pg_data)
	[[ -s $data/postmaster.pid ]] || return 0
	as_pg "$(pg_bin)/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
}

postgres_status() { pg_ready; }

# --- RabbitMQ ------------------------------------------------------------------

# rabbit_env: the environment of our node and of the CLI that talks to it. HOME
# holds the Erlang cookie, so ours never meets the system node's; the config,
# env and plugin files are ours, so /etc/rabbitmq does not apply.
rabbit_env() {
	local dir=$RUN_DIR/rabbitmq
	printf '%s\n' \
		"HOME=$dir" \
		"RABBITMQ_NODENAME=$RABBIT_NODE" \
		"RABBITMQ_NODE_IP_ADDRESS=$HOST" \
		"RABBITMQ_NODE_PORT=$RABBIT_PORT" \
		"RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT" \
		"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}" \
		"RABBITMQ_CTL_DIST_PORT_MIN=$((RABBIT_DIST_PORT + 1))" \
		"RABBITMQ_CTL_DIST_PORT_MAX=$((RABBIT_DIST_PORT + 10))" \
		"ERL_EPMD_PORT=$RABBIT_EPMD_PORT" \
		"ERL_EPMD_ADDRESS=$HOST" \
		"RABBITMQ_MNESIA_BASE=$dir/mnesia" \
		"RABBITMQ_LOG_BASE=$dir/log" \
		"RABBITMQ_PID_FILE=$dir/rabbitmq.pid" \
		"RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf" \
		"RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config" \
		"RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf" \
		"RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins"
}

# rabbit_tool NAME: the path of a RabbitMQ tool. Debian's /usr/sbin wrappers
# switch to the rabbitmq user when run as root; the real scripts under
# /usr/lib/rabbitmq/bin run as whoever calls them.
rabbit_tool() {
	if [[ -x /usr/lib/rabbitmq/bin/$1 ]]; then
		printf '%s\n' "/usr/lib/rabbitmq/bin/$1"
	else
		printf '%s\n' "$1"
	fi
}

# rabbit TOOL ARGS...: run a RabbitMQ tool with our node's environment.
rabbit() {
	local tool env=()
	tool=$(rabbit_tool "$1")
	shift
	mapfile -t env < <(rabbit_env)
	env "${env[@]}" "$tool" "$@"
}

rabbit_ready() {
	port_open "$RABBIT_PORT" && rabbit rabbitmqctl -q -n "$RABBIT_NODE" --timeout 10 status >/dev/null 2>&1
}

rabbitmq_up() {
	ensure_packages rabbitmq-server
	local dir=$RUN_DIR/rabbitmq
	if rabbit_ready; then
		log "rabbitmq already running on $HOST:$RABBIT_PORT"
		rabbit_policies
		return 0
	fi
	port_open "$RABBIT_PORT" && die "port $RABBIT_PORT is taken by something that is not our RabbitMQ"
	mkdir -p "$dir/mnesia" "$dir/log"
	cat >"$dir/rabbitmq.conf" <<-EOF
		# written by scripts/infra.sh
		listeners.tcp.1 = $HOST:$RABBIT_PORT
		loopback_users.guest = true
		log.file.level = info
		log.console = false
	EOF
	printf '[].\n' >"$dir/advanced.config"
	printf '[].\n' >"$dir/enabled_plugins"
	: >"$dir/rabbitmq-env.conf"
	rm -f "$dir/rabbitmq.pid"
	# Detached from this shell, in its own session so a Ctrl-C here does not reach it.
	local env=() server
	mapfile -t env < <(rabbit_env)
	server=$(rabbit_tool rabbitmq-server)
	setsid nohup env "${env[@]}" "$server" </dev/null >>"$dir/log/console.log" 2>&1 9>&- &
	local deadline=$((SECONDS + TIMEOUT))
	until [[ -s $dir/rabbitmq.pid ]]; do
		((SECONDS < deadline)) || die "rabbitmq wrote no pid file within ${TIMEOUT}s: see $dir/log"
		sleep 0.2
	done
	rabbit rabbitmqctl -q -n "$RABBIT_NODE" --timeout "$TIMEOUT" await_startup >/dev/null 2>&1 ||
		die "rabbitmq did not start within ${TIMEOUT}s: see $dir/log"
	wait_for rabbitmq rabbit_ready
	rabbit_policies
}

# rabbit_policies: the broadcast component's per-instance queues are named
# "<uuid>-<topic>" and cannot be auto-delete (see components/rabbitmq-postgres/
# broadcast.yaml): expire each one a minute after its last consumer left.
rabbit_policies() {
	rabbit rabbitmqctl -q -n "$RABBIT_NODE" set_policy --apply-to queues dflix-broadcast-expiry \
		'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-' '{"expires":60000}' >/dev/null
}

rabbitmq_down() {
	local dir=$RUN_DIR/rabbitmq
	if [[ -s $dir/rabbitmq.pid ]] && kill -0 "$(<"$dir/rabbitmq.pid")" 2>/dev/null; then
		rabbit rabbitmqctl -q -n "$RABBIT_NODE" --timeout 60 stop "$dir/rabbitmq.pid" >/dev/null 2>&1 || true
		wait_gone "$dir/rabbitmq.pid" rabbitmq
	fi
	# The node started its own epmd on our port: stop it too.
	if port_open "$RABBIT_EPMD_PORT" && command -v epmd >/dev/null 2>&1; then
		ERL_EPMD_PORT=$RABBIT_EPMD_PORT epmd -kill >/dev/null 2>&1 || true
	fi
}

rabbitmq_status() { rabbit_ready; }

# --- Mosquitto -----------------------------------------------------------------

mqtt_ready() { port_open "$MQTT_PORT"; }

mosquitto_up() {
	ensure_packages mosquitto
	local dir=$RUN_DIR/mosquitto
	if mqtt_ready && [[ -s $dir/mosquitto.pid ]] && kill -0 "$(<"$dir/mosquitto.pid")" 2>/dev/null; then
		log "mosquitto already running on $HOST:$MQTT_PORT"
		return 0
	fi
	mqtt_ready && die "port $MQTT_PORT is taken by something that is not our Mosquitto"
	mkdir -p "$dir/data"
	# As root Mosquitto would drop to the mosquitto user, who cannot write
	# under /root: "user" names whoever runs it.
	cat >"$dir/mosquitto.conf" <<-EOF
		# written by scripts/infra.sh
		user $(id -un)
		pid_file $dir/mosquitto.pid
		listener $MQTT_PORT $HOST
		allow_anonymous true
		persistence true
		persistence_location $dir/data/
		autosave_interval 10
		persistent_client_expiration 1d
		max_queued_messages 100000
		log_dest file $dir/mosquitto.log
		log_type error
		log_type warning
		log_type notice
		log_type information
	EOF
	rm -f "$dir/mosquitto.pid"
	/usr/sbin/mosquitto -c "$dir/mosquitto.conf" -d 9>&- 2>>"$dir/mosquitto.log"
	wait_for mosquitto mqtt_ready
}

mosquitto_down() {
	local pidfile=$RUN_DIR/mosquitto/mosquitto.pid
	[[ -s $pidfile ]] || return 0
	kill -TERM "$(<"$pidfile")" 2>/dev/null || true
	wait_gone "$pidfile" mosquitto
}

mosquitto_status() { mqtt_ready; }

# --- S3 (versitygw) ---------------------------------------------------------------
# A Go S3 gateway over its posix backend: the bucket is the directory
# data/$S3_BUCKET, and object metadata lives in a sidecar directory, so the
# file system needs no extended attributes.

s3_pidfile() { printf '%s/s3/versitygw.pid\n' "$RUN_DIR"; }

s3_ready() {
	local pidfile
	pidfile=$(s3_pidfile)
	port_open "$S3_PORT" && [[ -s $pidfile ]] && kill -0 "$(<"$pidfile")" 2>/dev/null
}

# s3_bin: the path of versitygw, built once (minutes, the first time).
s3_bin() { "$SCRIPTS/versitygw.sh" 9>&-; }

s3_up() {
	local dir=$RUN_DIR/s3 bin
	bin=$(s3_bin)
	mkdir -p "$dir/data/$S3_BUCKET" "$dir/meta"
	if s3_ready; then
		log "s3 already running on $HOST:$S3_PORT"
		return 0
	fi
	port_open "$S3_PORT" && die "port $S3_PORT is taken by something that is not our versitygw"
	# Detached, in its own session, so a Ctrl-C here does not reach it.
	setsid nohup env ROOT_ACCESS_KEY="$S3_ACCESS_KEY" ROOT_SECRET_KEY="$S3_SECRET_KEY" \
		"$bin" --port "$HOST:$S3_PORT" --region us-east-1 --quiet \
		posix --sidecar "$dir/meta" "$dir/data" </dev/null >>"$dir/versitygw.log" 2>&1 9>&- &
	printf '%s\n' "$!" >"$(s3_pidfile)"
	wait_for s3 s3_ready
}

s3_down() {
	local pidfile
	pidfile=$(s3_pidfile)
	[[ -s $pidfile ]] || return 0
	kill -TERM "$(<"$pidfile")" 2>/dev/null || true
	wait_gone "$pidfile" s3
}

s3_status() { s3_ready; }

# --- reset: empty the stores and queues of a running server ----------------
# For tests that need a fresh platform: every key, table, queue and retained
# message is gone afterwards; the servers keep running.

redis_reset() { redis-cli -h "$HOST" -p "$REDIS_PORT" flushall >/dev/null; }

postgres_reset() {
	psql -q -h "$HOST" -p "$PG_PORT" -U postgres -d "$PG_DB" \
		-c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null 2>&1
}

rabbitmq_reset() {
	rabbit rabbitmqctl -q -n "$RABBIT_NODE" stop_app >/dev/null
	rabbit rabbitmqctl -q -n "$RABBIT_NODE" reset >/dev/null
	rabbit rabbitmqctl -q -n "$RABBIT_NODE" start_app >/dev/null
	rabbit rabbitmqctl -q -n "$RABBIT_NODE" --timeout "$TIMEOUT" await_startup >/dev/null 2>&1
	rabbit_policies
}

mosquitto_reset() {
	mosquitto_down
	rm -rf "$RUN_DIR/mosquitto/data"
	mosquitto_up
}

# s3_reset: every object of the bucket goes; the bucket stays (the posix
# backend reads the directories as they are, so no restart is needed).
s3_reset() {
	find "$RUN_DIR/s3/data/$S3_BUCKET" -mindepth 1 -delete
	find "$RUN_DIR/s3/meta" -mindepth 1 -path "$RUN_DIR/s3/meta/$S3_BUCKET/*" -delete 2>/dev/null || true
}

# --- main ------------------------------------------------------------------------

# install_tools TOOL...: the Debian packages behind tools, installed once.
install_tools() {
	local t pkgs=()
	for t in "$@"; do
		case $t in
		ffmpeg | ffprobe) command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || pkgs+=(ffmpeg) ;;
		chromium)
			if [[ ! -x /usr/bin/chromium ]]; then
				pkgs+=(chromium)
			fi
			# Without fonts, pages render as boxes; only Debian can tell.
			if command -v dpkg-query >/dev/null &&
				! dpkg-query -W -f='${Status}' fonts-liberation 2>/dev/null | grep -q 'install ok installed'; then
				pkgs+=(fonts-liberation)
			fi
			;;
		# The package's postinst would start the system nginx on port 80:
		# ensure_packages' policy-rc.d forbids it; callers run their own.
		nginx) command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || pkgs+=(nginx) ;;
		s3 | versitygw) s3_bin >/dev/null ;;
		*) die "unknown tool '$t' (want ffmpeg, chromium, nginx or s3)" ;;
		esac
	done
	((${#pkgs[@]})) || return 0
	mkdir -p "$RUN_DIR"
	exec 9>"$RUN_DIR/infra.lock"
	flock 9
	ensure_packages "${pkgs[@]}"
}

port_of() {
	case $1 in
	redis) echo "$REDIS_PORT" ;;
	postgres) echo "$PG_PORT" ;;
	rabbitmq) echo "$RABBIT_PORT" ;;
	mosquitto) echo "$MQTT_PORT" ;;
	s3) echo "$S3_PORT" ;;
	esac
}

main() {
	(($#)) || usage
	local cmd=$1 s start
	shift
	case $cmd in
	rundir)
		printf '%s\n' "$RUN_DIR"
		return 0
		;;
	install)
		install_tools "$@"
		return 0
		;;
	up | down | status | reset) ;;
	-h | --help | help) usage ;;
	*) usage ;;
	esac
	(($#)) || set -- all
	local servers
	servers=$(servers_for "$@")
	mkdir -p "$RUN_DIR"
	# Build versitygw before taking the lock: the first build takes minutes,
	# and other callers' up and down need not wait for it.
	if [[ $cmd == up && $'\n'$servers$'\n' == *$'\n's3$'\n'* ]]; then
		s3_bin >/dev/null
	fi
	if [[ $cmd != status ]]; then
		# One up or down at a time, across processes. Every server start closes
		# fd 9 (9>&-): a daemon that inherited it would hold the lock forever.
		exec 9>"$RUN_DIR/infra.lock"
		flock 9
	fi
	local failed=0
	for s in $servers; do
		case $cmd in
		up)
			start=$(now)
			"${s}_up"
			log "$s up on $HOST:$(port_of "$s") ($(since "$start")s)"
			;;
		down)
			start=$(now)
			"${s}_down"
			log "$s down ($(since "$start")s)"
			;;
		reset)
			start=$(now)
			"${s}_status" || die "$s is not running: scripts/infra.sh up $s first"
			"${s}_reset"
			log "$s reset ($(since "$start")s)"
			;;
		status)
			if "${s}_status"; then
				printf '%-10s running  %s:%s\n' "$s" "$HOST" "$(port_of "$s")"
			else
				printf '%-10s stopped  %s:%s\n' "$s" "$HOST" "$(port_of "$s")"
				failed=1
			fi
			;;
		esac
	done
	# SQLite stores are files in the sidecars' working directory (daprrun's).
	[[ $cmd != reset ]] || rm -f "$RUN_DIR"/dapr/*.db "$RUN_DIR"/dapr/*.db-*
	return "$failed"
}

main "$@"
