package encoder

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// segment is one entry of a media playlist.
type segment struct {
	URI      string
	Duration float64
}

// parseMedia returns the segments of a media playlist.
func parseMedia(data string) []segment {
	var segs []segment
	dur := -1.0
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#EXTINF:"):
			v, _, _ := strings.Cut(strings.TrimPrefix(line, "#EXTINF:"), ",")
			dur = num(v)
		case line == "" || strings.HasPrefix(line, "#"):
		case dur >= 0:
			segs = append(segs, segment{URI: line, Duration: dur})
			dur = -1
		}
	}
	return segs
}

// total returns the summed duration of segs.
func total(segs []segment) float64 {
	var t float64
	for _, s := range segs {
		t += s.Duration
	}
	return t
}

// variant is one #EXT-X-STREAM-INF entry of a master playlist.
type variant struct {
	URI        string
	Bandwidth  int
	Resolution string // "1280x720"
	Codecs     string // "avc1.64001f,mp4a.40.2"
}

// parseMaster returns the variants of a master playlist, by URI.
func parseMaster(data string) map[string]variant {
	out := map[string]variant{}
	var cur *variant
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#EXT-X-STREAM-INF:"):
			attrs := parseAttributes(strings.TrimPrefix(line, "#EXT-X-STREAM-INF:"))
			bw, _ := strconv.Atoi(attrs["BANDWIDTH"])
			cur = &variant{Bandwidth: bw, Resolution: attrs["RESOLUTION"], Codecs: attrs["CODECS"]}
		case line == "" || strings.HasPrefix(line, "#"):
		case cur != nil:
			cur.URI = line
			out[line] = *cur
			cur = nil
		}
	}
	return out
}

// parseAttributes splits an HLS attribute list (KEY=value,KEY="a,b") into a
// map, without the quotes.
func parseAttributes(list string) map[string]string {
	attrs := map[string]string{}
	for list != "" {
		key, rest, ok := strings.Cut(list, "=")
		if !ok {
			break
		}
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				end = len(rest) - 1
			}
			value, rest = rest[1:1+end], rest[min(2+end, len(rest)):]
		} else {
			value, rest, _ = strings.Cut(rest, ",")
			rest = "," + rest
		}
		attrs[strings.TrimSpace(key)] = value
		list = strings.TrimPrefix(rest, ",")
	}
	return attrs
}

// renderMaster writes a master playlist of vs, in order.
func renderMaster(vs []variant) string {
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	for _, v := range vs {
		fmt.Fprintf(&b, "#EXT-X-STREAM-INF:BANDWIDTH=%d,RESOLUTION=%s,CODECS=\"%s\"\n%s\n", v.Bandwidth, v.Resolution, v.Codecs, v.URI)
	}
	return b.String()
}

// peakBitrate returns the highest bitrate of the segments, in bits per
// second, from their sizes; segments under half the target duration are
// left out (a short last segment overstates it) unless all are.
func peakBitrate(segs []segment, sizes []int64, target float64) int {
	peak, fallback := 0.0, 0.0
	for i, s := range segs {
		if s.Duration <= 0 || i >= len(sizes) {
			continue
		}
		rate := float64(sizes[i]*8) / s.Duration
		fallback = max(fallback, rate)
		if s.Duration >= target/2 {
			peak = max(peak, rate)
		}
	}
	if peak == 0 {
		peak = fallback
	}
	return int(peak)
}

// codecsOf is the RFC 6381 codecs string of an H.264 stream (profile name
// and level as ffprobe gives them) and, when audioProfile is not empty, of
// an AAC one.
func codecsOf(profile string, level int, audioProfile string) string {
	idc := map[string]string{
		"Baseline": "4200", "Constrained Baseline": "42C0", "Main": "4D40", "Extended": "5800",
		"High": "6400", "High 10": "6E00", "High 4:2:2": "7A00", "High 4:4:4 Predictive": "F400",
	}[profile]
	if idc == "" {
		idc = "6400"
	}
	codecs := "avc1." + strings.ToLower(fmt.Sprintf("%s%02x", idc, level))
	switch audioProfile {
	case "":
	case "HE-AAC":
		codecs += ",mp4a.40.5"
	case "HE-AACv2":
		codecs += ",mp4a.40.29"
	default:
		codecs += ",mp4a.40.2"
	}
	return codecs
}
