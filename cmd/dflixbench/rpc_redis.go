package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// redisConn is a minimal Redis client (RESP over one connection) for
// reading what catalog stored, without a driver and without a sidecar on
// the way: the reads must cost the platform as little as they can.
type redisConn struct {
	mu sync.Mutex
	c  net.Conn
	r  *bufio.Reader
}

// dialRedis connects to addr and selects db.
func dialRedis(ctx context.Context, addr string, db int) (*redisConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("redis %s: %w", addr, err)
	}
	rc := &redisConn{c: c, r: bufio.NewReader(c)}
	if _, err := rc.pipeline([][]string{{"SELECT", strconv.Itoa(db)}}); err != nil {
		c.Close()
		return nil, err
	}
	return rc, nil
}

func (rc *redisConn) Close() error { return rc.c.Close() }

// pipeline sends cmds at once and returns their replies in order: a string
// or nil for a bulk string, an int64, or a []any. An error reply of any
// command fails the whole call.
func (rc *redisConn) pipeline(cmds [][]string) ([]any, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	_ = rc.c.SetDeadline(time.Now().Add(5 * time.Second))
	w := bufio.NewWriter(rc.c)
	for _, args := range cmds {
		fmt.Fprintf(w, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(w, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	out := make([]any, len(cmds))
	var firstErr error
	for i := range cmds {
		v, err := rc.reply()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		out[i] = v
	}
	return out, firstErr
}

// reply reads one reply; an error reply is returned as an error after the
// reply was read whole, so the connection stays in step.
func (rc *redisConn) reply() (any, error) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	if len(line) < 3 {
		return nil, fmt.Errorf("redis: short reply %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+':
		return body, nil
	case '-':
		return nil, fmt.Errorf("redis: %s", body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rc.r, buf); err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		items := make([]any, n)
		var firstErr error
		for i := range items {
			if items[i], err = rc.reply(); err != nil && firstErr == nil {
				firstErr = err
			}
		}
		return items, firstErr
	}
	return nil, fmt.Errorf("redis: unknown reply %q", line)
}
