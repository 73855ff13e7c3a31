// Command fleetread reads SSO callbacks exactly as Fleet's DecodeRequest does (standard library only), for samlscope's differential tests.
//
// Modes:
//
//	fleetread info     one JSON line: the Go version, url.ParseQuery's parameter limit, mime's rule for equal duplicates
//	fleetread decode   JSON lines {"id","raw"} on stdin (raw: base64 of a whole HTTP/1.1 request), one JSON line out per
//	                   request: {id, framing, status, reason, samlResponseB64, decodedB64, relayStateB64, source}
//	fleetread serve [-prefix /p]
//	                   a Fleet-like upstream on 127.0.0.1:0; the first stdout line is its URL. Routes (POST):
//	                   /api/v1/fleet/sso/callback and /api/{v1,2022-04,latest}/fleet/mdm/sso/callback, as Fleet's
//	                   server/service/handler.go registers them; GET /__reads answers the sha256 hex of every decoded
//	                   SAMLResponse that went on to validation, as a JSON array.
//
// The Fleet steps (server/service/sessions.go decodeCallbackRequest): the body limited to 256 KiB
// (fleet.MaxSSOCallbackSize) by http.MaxBytesReader, r.ParseForm() (error: 400, or 413 when the limit was hit),
// r.FormValue("SAMLResponse") == "" (400 missing), base64.StdEncoding.DecodeString (error: 400).
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"runtime"
	"strings"
	"sync"
)

const maxSSOCallbackSize = 256 << 10

type result struct {
	ID              string  `json:"id"`
	Framing         string  `json:"framing"`
	FramingError    string  `json:"framingError,omitempty"`
	Status          int     `json:"status"`
	Reason          string  `json:"reason"`
	Detail          string  `json:"detail,omitempty"`
	SAMLResponseB64 *string `json:"samlResponseB64"`
	DecodedB64      *string `json:"decodedB64"`
	RelayStateB64   *string `json:"relayStateB64"`
	Source          string  `json:"source"`
}

// fleetDecode applies Fleet's body cap and DecodeRequest to r; w may be nil (decode mode).
func fleetDecode(w http.ResponseWriter, r *http.Request) (res result, decoded []byte) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSSOCallbackSize)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return result{Status: 413, Reason: "body_too_large", Detail: err.Error()}, nil
		}
		return result{Status: 400, Reason: "form_parse", Detail: err.Error()}, nil
	}
	value := r.FormValue("SAMLResponse")
	if value == "" {
		return result{Status: 400, Reason: "missing", Detail: "missing SAMLResponse"}, nil
	}
	dec, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return result{Status: 400, Reason: "base64", Detail: err.Error()}, nil
	}
	res = result{Status: 200, Reason: "read", Source: "query"}
	if len(r.PostForm["SAMLResponse"]) > 0 {
		res.Source = "body"
	}
	s := base64.StdEncoding.EncodeToString([]byte(value))
	d := base64.StdEncoding.EncodeToString(dec)
	res.SAMLResponseB64, res.DecodedB64 = &s, &d
	if vs, ok := r.Form["RelayState"]; ok && len(vs) > 0 {
		rs := base64.StdEncoding.EncodeToString([]byte(vs[0]))
		res.RelayStateB64 = &rs
	}
	return res, dec
}

func decodeMode() error {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		var job struct {
			ID  string `json:"id"`
			Raw string `json:"raw"`
		}
		if err := json.Unmarshal(in.Bytes(), &job); err != nil {
			return fmt.Errorf("bad input line: %w", err)
		}
		raw, err := base64.StdEncoding.DecodeString(job.Raw)
		if err != nil {
			return fmt.Errorf("case %s: raw is not base64: %w", job.ID, err)
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		var res result
		if err != nil {
			res = result{Framing: "error", FramingError: err.Error()}
		} else {
			res, _ = fleetDecode(nil, req)
			res.Framing = "ok"
		}
		res.ID = job.ID
		if err := enc.Encode(res); err != nil {
			return err
		}
	}
	return in.Err()
}

func infoMode() error {
	_, err := url.ParseQuery(strings.Repeat("&", 10000))
	limit := 0
	if err != nil {
		limit = 10000
	}
	_, _, dupErr := mime.ParseMediaType("a/b; c=1; c=1")
	return json.NewEncoder(os.Stdout).Encode(map[string]interface{}{
		"go": runtime.Version(), "maxQueryParams": limit, "equalDuplicateParams": dupErr == nil,
	})
}

// reads keeps the sha256 of every decoded SAMLResponse Fleet would go on to validate.
type reads struct {
	mu  sync.Mutex
	all []string
}

func (rs *reads) add(b []byte) {
	sum := sha256.Sum256(b)
	rs.mu.Lock()
	rs.all = append(rs.all, hex.EncodeToString(sum[:]))
	rs.mu.Unlock()
}

func (rs *reads) list() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string{}, rs.all...)
}

// api is the part of Fleet's router these tests need, matched like gorilla/mux (v1.8.1 mux.go Router.ServeHTTP): unless
// SkipClean, the decoded URL.Path (Fleet does not UseEncodedPath) is cleaned and, when that changes it, answered 301 with
// Location = the URL with the clean path (query kept); then the path templates match exactly (no StrictSlash) and a
// known path with another method is 405 (ErrMethodMismatch). Fleet registers the admin callback for v1 only and the MDM
// one for every _version_ (server/service/handler.go), so /api/latest/fleet/sso/callback is a 404 here as in Fleet.
func api(rs *reads) http.Handler {
	routes := map[string]bool{"/api/v1/fleet/sso/callback": true}
	for _, v := range []string{"v1", "2022-04", "latest"} {
		routes["/api/"+v+"/fleet/mdm/sso/callback"] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if c := cleanPath(p); c != p {
			u := *r.URL
			u.Path = c
			w.Header().Set("Location", u.String())
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		if !routes[p] {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		res, dec := fleetDecode(w, r)
		if res.Status != 200 {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(res.Status)
			_ = json.NewEncoder(w).Encode(map[string]interface{}{
				"message": "Bad request", "errors": []map[string]string{{"name": "base", "reason": res.Detail}},
			})
			return
		}
		rs.add(dec)
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		_, _ = io.WriteString(w, "<html><body>fleetread: read</body></html>")
	})
}

// cleanPath is gorilla/mux's: path.Clean with a leading '/', keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

func serveMode(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	prefix := fs.String("prefix", "", "Fleet's server.url_prefix")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rs := &reads{}
	// Fleet's root: an http.ServeMux ("/api/" to the API router), under url_prefix through http.StripPrefix. How
	// cmd/fleet/serve.go mounts url_prefix was not read for this program: this is an assumption (a path outside the
	// prefix is a 404; ServeMux also 301s unclean paths first, as gorilla/mux would).
	root := http.NewServeMux()
	root.Handle("/api/", api(rs))
	var h http.Handler = root
	if *prefix != "" {
		pm := http.NewServeMux()
		pm.Handle(*prefix+"/", http.StripPrefix(*prefix, root))
		h = pm
	}
	top := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/__reads" && r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(rs.list())
			return
		}
		h.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("http://%s\n", ln.Addr().String())
	os.Stdout.Sync()
	return http.Serve(ln, top)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: fleetread info|decode|serve [-prefix /p]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "info":
		err = infoMode()
	case "decode":
		err = decodeMode()
	case "serve":
		err = serveMode(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetread:", err)
		os.Exit(1)
	}
}
