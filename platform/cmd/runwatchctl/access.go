package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/term"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/runwatch/runwatch/domain/access"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// config is what `runwatchctl login` keeps: the server and an API token.
type config struct {
	Server string `json:"server"`
	Token  string `json:"token"`
}

func configPath() (string, error) {
	if p := os.Getenv("RUNWATCH_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "runwatch", "config.json"), nil
}

func loadConfig() (config, bool) {
	p, err := configPath()
	if err != nil {
		return config{}, false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return config{}, false
	}
	var c config
	return c, json.Unmarshal(b, &c) == nil && c.Token != ""
}

func saveConfig(c config) (string, error) {
	p, err := configPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	// The token is a secret: only its owner reads the file.
	return p, os.WriteFile(p, append(b, '\n'), 0o600)
}

// readPassword reads a password: from RUNWATCH_PASSWORD, or the terminal
// without echo, or one line of stdin when it is not a terminal.
func (c *cli) readPassword(prompt string) (string, error) {
	if pw := os.Getenv("RUNWATCH_PASSWORD"); pw != "" {
		return pw, nil
	}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprint(c.errw, prompt)
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(c.errw)
		return string(b), err
	}
	line, err := bufio.NewReader(c.in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (c *cli) login(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	username := fs.String("username", os.Getenv("USER"), "your username")
	ttl := fs.Duration("ttl", 90*24*time.Hour, "how long the stored API token lasts")
	if _, err := parse("login", fs, args); err != nil {
		return err
	}
	pw, err := c.readPassword("password for " + *username + ": ")
	if err != nil {
		return err
	}
	// Sign in with a cookie jar, make an API token with the session, and
	// keep the token: the session ends here, the token is what the CLI uses.
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	auth := runwatchv1connect.NewAuthServiceClient(hc, c.server)
	res, err := auth.Login(ctx, connect.NewRequest(&v1.LoginRequest{Username: *username, Password: pw}))
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	admin := runwatchv1connect.NewAdminServiceClient(hc, c.server)
	tok, err := admin.CreateAPIToken(ctx, connect.NewRequest(&v1.CreateAPITokenRequest{Name: "runwatchctl on " + host, Ttl: durationpb.New(*ttl)}))
	if err != nil {
		return err
	}
	if _, err := auth.Logout(ctx, connect.NewRequest(&v1.LogoutRequest{})); err != nil {
		fmt.Fprintln(c.errw, "warning: could not end the login session:", err)
	}
	path, err := saveConfig(config{Server: c.server, Token: tok.Msg.GetToken()})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "signed in to %s as %s (%s); API token %s saved in %s, expires %s\n", c.server, res.Msg.GetUser().GetUsername(),
		short(res.Msg.GetUser().GetRole().String(), "ROLE_"), tok.Msg.GetApiToken().GetId(), path, when(tok.Msg.GetApiToken().GetExpiresAt().AsTime()))
	return nil
}

func (c *cli) whoami(ctx context.Context, args []string) error {
	if _, err := parse("whoami", flag.NewFlagSet("whoami", flag.ContinueOnError), args); err != nil {
		return err
	}
	res, err := c.auth.GetSession(ctx, connect.NewRequest(&v1.GetSessionRequest{}))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(res.Msg)
	}
	name := res.Msg.GetUser().GetUsername()
	if name == "" {
		name = "(no user)"
	}
	fmt.Fprintf(c.out, "%s, %s, as %s\n", name, short(res.Msg.GetRole().String(), "ROLE_"), short(res.Msg.GetKind().String(), "PRINCIPAL_KIND_"))
	return nil
}

var roleNames = map[string]v1.Role{"": v1.Role_ROLE_UNSPECIFIED, "viewer": v1.Role_ROLE_VIEWER, "admin": v1.Role_ROLE_ADMIN}

func parseRole(s string) (v1.Role, error) {
	r, ok := roleNames[s]
	if !ok {
		return 0, fmt.Errorf("--role must be viewer or admin, not %q", s)
	}
	return r, nil
}

func (c *cli) userRows(users []*v1.User) [][]string {
	var rows [][]string
	for _, u := range users {
		state := "active"
		if u.GetDisabledAt() != nil {
			state = "disabled"
		}
		rows = append(rows, []string{u.GetId(), u.GetUsername(), short(u.GetRole().String(), "ROLE_"), state,
			whenOpt(u.GetLastLoginAt().AsTime(), u.GetLastLoginAt() != nil)})
	}
	return rows
}

var userHeader = []string{"ID", "USERNAME", "ROLE", "STATE", "LAST LOGIN"}

func (c *cli) usersList(ctx context.Context, args []string) error {
	if _, err := parse("users list", flag.NewFlagSet("users list", flag.ContinueOnError), args); err != nil {
		return err
	}
	res, err := c.admin.ListUsers(ctx, connect.NewRequest(&v1.ListUsersRequest{}))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(res.Msg)
	}
	c.table(userHeader, c.userRows(res.Msg.GetUsers()))
	return nil
}

func (c *cli) usersCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	role := fs.String("role", "viewer", "viewer or admin")
	pos, err := parse("users create", fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("users create: give one username")
	}
	r, err := parseRole(*role)
	if err != nil {
		return err
	}
	pw, err := c.readPassword("password for " + pos[0] + ": ")
	if err != nil {
		return err
	}
	res, err := c.admin.CreateUser(ctx, connect.NewRequest(&v1.CreateUserRequest{Username: pos[0], Password: pw, Role: r}))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(res.Msg)
	}
	c.table(userHeader, c.userRows([]*v1.User{res.Msg.GetUser()}))
	return nil
}

// userID accepts an id or a username.
func (c *cli) userID(ctx context.Context, ref string) (string, error) {
	res, err := c.admin.ListUsers(ctx, connect.NewRequest(&v1.ListUsersRequest{}))
	if err != nil {
		return "", err
	}
	for _, u := range res.Msg.GetUsers() {
		if u.GetId() == ref || u.GetUsername() == ref {
			return u.GetId(), nil
		}
	}
	return "", fmt.Errorf("no user %q", ref)
}

func (c *cli) usersUpdate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("users update", flag.ContinueOnError)
	role := fs.String("role", "", "viewer or admin")
	disable := fs.Bool("disable", false, "disable the account (ends its sessions and tokens)")
	enable := fs.Bool("enable", false, "enable the account")
	reset := fs.Bool("reset-password", false, "set a new password (read like a login's)")
	pos, err := parse("users update", fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("users update: give one user id or name")
	}
	r, err := parseRole(*role)
	if err != nil {
		return err
	}
	id, err := c.userID(ctx, pos[0])
	if err != nil {
		return err
	}
	req := &v1.UpdateUserRequest{Id: id, Role: r}
	switch {
	case *disable && *enable:
		return errors.New("users update: --disable or --enable, not both")
	case *disable:
		t := true
		req.Disabled = &t
	case *enable:
		f := false
		req.Disabled = &f
	}
	if *reset {
		if req.NewPassword, err = c.readPassword("new password: "); err != nil {
			return err
		}
	}
	res, err := c.admin.UpdateUser(ctx, connect.NewRequest(req))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(res.Msg)
	}
	c.table(userHeader, c.userRows([]*v1.User{res.Msg.GetUser()}))
	return nil
}

func (c *cli) usersDelete(ctx context.Context, args []string) error {
	pos, err := parse("users delete", flag.NewFlagSet("users delete", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("users delete: give one user id or name")
	}
	id, err := c.userID(ctx, pos[0])
	if err != nil {
		return err
	}
	if _, err := c.admin.DeleteUser(ctx, connect.NewRequest(&v1.DeleteUserRequest{Id: id})); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "deleted %s\n", pos[0])
	return nil
}

func (c *cli) apiTokenCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("api-token create", flag.ContinueOnError)
	name := fs.String("name", "", "what the token is for")
	role := fs.String("role", "", "viewer or admin (at most yours; default yours)")
	ttl := fs.Duration("ttl", 0, "validity (default 2160h)")
	if _, err := parse("api-token create", fs, args); err != nil {
		return err
	}
	r, err := parseRole(*role)
	if err != nil {
		return err
	}
	req := &v1.CreateAPITokenRequest{Name: *name, Role: r}
	if *ttl > 0 {
		req.Ttl = durationpb.New(*ttl)
	}
	res, err := c.admin.CreateAPIToken(ctx, connect.NewRequest(req))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(res.Msg)
	}
	fmt.Fprintln(c.out, res.Msg.GetToken())
	fmt.Fprintf(c.errw, "API token %s (%s), expires %s; it is shown only now.\n", res.Msg.GetApiToken().GetId(),
		short(res.Msg.GetApiToken().GetRole().String(), "ROLE_"), when(res.Msg.GetApiToken().GetExpiresAt().AsTime()))
	return nil
}

func (c *cli) apiTokenList(ctx context.Context, args []string) error {
	if _, err := parse("api-token list", flag.NewFlagSet("api-token list", flag.ContinueOnError), args); err != nil {
		return err
	}
	res, err := c.admin.ListAPITokens(ctx, connect.NewRequest(&v1.ListAPITokensRequest{}))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(res.Msg)
	}
	var rows [][]string
	for _, t := range res.Msg.GetApiTokens() {
		state := "active"
		switch {
		case t.GetRevokedAt() != nil:
			state = "revoked"
		case t.GetExpiresAt().AsTime().Before(time.Now()):
			state = "expired"
		}
		rows = append(rows, []string{t.GetId(), t.GetName(), t.GetUsername(), short(t.GetRole().String(), "ROLE_"), state,
			when(t.GetExpiresAt().AsTime()), whenOpt(t.GetLastUsedAt().AsTime(), t.GetLastUsedAt() != nil)})
	}
	c.table([]string{"ID", "NAME", "OWNER", "ROLE", "STATE", "EXPIRES", "LAST USED"}, rows)
	return nil
}

func (c *cli) apiTokenRevoke(ctx context.Context, args []string) error {
	pos, err := parse("api-token revoke", flag.NewFlagSet("api-token revoke", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("api-token revoke: give one token id")
	}
	if _, err := c.admin.RevokeAPIToken(ctx, connect.NewRequest(&v1.RevokeAPITokenRequest{Id: pos[0]})); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "revoked %s\n", pos[0])
	return nil
}

func (c *cli) audit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	text := fs.String("text", "", "only events whose actor or action contains this")
	limit := fs.Int("limit", 50, "events per page")
	tok := fs.String("page-token", "", "page token from a previous page")
	if _, err := parse("audit", fs, args); err != nil {
		return err
	}
	res, err := c.admin.ListAuditEvents(ctx, connect.NewRequest(&v1.ListAuditEventsRequest{Text: *text, PageSize: int32(*limit), PageToken: *tok}))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(res.Msg)
	}
	var rows [][]string
	for _, e := range res.Msg.GetEvents() {
		rows = append(rows, []string{e.GetAt().AsTime().Local().Format(time.DateTime), e.GetActor(), strings.TrimPrefix(e.GetAction(), "/runwatch.v1."),
			e.GetResult(), e.GetRemoteAddr(), trunc(e.GetDetail(), 60)})
	}
	c.table([]string{"AT", "ACTOR", "ACTION", "RESULT", "FROM", "DETAIL"}, rows)
	if res.Msg.GetNextPageToken() != "" {
		fmt.Fprintf(c.errw, "more: --page-token %s\n", res.Msg.GetNextPageToken())
	}
	return nil
}

func (c *cli) licenseShow(ctx context.Context, args []string) error {
	if _, err := parse("license show", flag.NewFlagSet("license show", flag.ContinueOnError), args); err != nil {
		return err
	}
	res, err := c.admin.GetLicense(ctx, connect.NewRequest(&v1.GetLicenseRequest{}))
	if err != nil {
		return err
	}
	return c.printLicense(res.Msg)
}

func (c *cli) printLicense(m *v1.GetLicenseResponse) error {
	if c.output == "json" {
		return c.printJSON(m)
	}
	l := m.GetLicense()
	sensors := fmt.Sprintf("sensors on up to %d nodes", l.GetSensorNodes())
	if !l.GetSensorsLicensed() {
		sensors = "controller only (sensors not licensed)"
	}
	fmt.Fprintf(c.out, "licence %s for %s: %s (%s", l.GetId(), l.GetOrganization(), sensors, short(l.GetSource().String(), "LICENSE_SOURCE_"))
	if l.GetExpiresAt() != nil {
		fmt.Fprintf(c.out, ", expires %s", l.GetExpiresAt().AsTime().Local().Format(time.DateOnly))
	}
	fmt.Fprintf(c.out, ")\nnodes in operation: %d, restricted: %d\n\n", m.GetNodesInOperation(), m.GetNodesRestricted())
	var rows [][]string
	for _, n := range m.GetNodes() {
		state := "entitled"
		if n.GetRestricted() {
			state = "RESTRICTED: " + n.GetReason()
		}
		rows = append(rows, []string{n.GetClusterName(), n.GetNodeName(), when(n.GetSince().AsTime()), state})
	}
	c.table([]string{"CLUSTER", "NODE", "SINCE", "STATE"}, rows)
	return nil
}

func (c *cli) licenseApply(ctx context.Context, args []string) error {
	pos, err := parse("license apply", flag.NewFlagSet("license apply", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("license apply: give the licence file, or - for stdin")
	}
	var b []byte
	if pos[0] == "-" {
		b, err = io.ReadAll(io.LimitReader(c.in, 64<<10))
	} else {
		b, err = os.ReadFile(pos[0])
	}
	if err != nil {
		return err
	}
	if _, err := c.admin.ApplyLicense(ctx, connect.NewRequest(&v1.ApplyLicenseRequest{License: strings.TrimSpace(string(b))})); err != nil {
		return err
	}
	res, err := c.admin.GetLicense(ctx, connect.NewRequest(&v1.GetLicenseRequest{}))
	if err != nil {
		return err
	}
	return c.printLicense(res.Msg)
}

// licenseKeygen and licenseIssue are the issuer's side: they never talk
// to a platform.
func (c *cli) licenseKeygen(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("license keygen", flag.ContinueOnError)
	out := fs.String("private-key", "license-signing.key", "file to write the private key to")
	if _, err := parse("license keygen", fs, args); err != nil {
		return err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, []byte(base64.StdEncoding.EncodeToString(priv.Seed())+"\n"), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(c.errw, "private key written to %s; keep it offline. Give platforms the public key:\n", *out)
	fmt.Fprintln(c.out, base64.StdEncoding.EncodeToString(pub))
	return nil
}

func (c *cli) licenseIssue(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("license issue", flag.ContinueOnError)
	keyFile := fs.String("private-key", "license-signing.key", "the issuer's private key (from license keygen)")
	org := fs.String("organization", "", "who the licence is for")
	nodes := fs.Int64("nodes", 0, "how many nodes may run sensors")
	controllerOnly := fs.Bool("controller-only", false, "sensors are not licensed")
	expires := fs.String("expires", "", "expiry date, YYYY-MM-DD")
	id := fs.String("id", "", "licence id (default: random)")
	if _, err := parse("license issue", fs, args); err != nil {
		return err
	}
	seedB64, err := os.ReadFile(*keyFile)
	if err != nil {
		return err
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(seedB64)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return fmt.Errorf("%s is not a key made by license keygen", *keyFile)
	}
	exp, err := time.Parse(time.DateOnly, *expires)
	if err != nil {
		return fmt.Errorf("--expires: %w", err)
	}
	if *id == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		*id = "lic-" + base64.RawURLEncoding.EncodeToString(b[:])
	}
	text, err := access.SignLicense(access.License{ID: *id, Organization: *org, IssuedAt: time.Now().UTC().Truncate(time.Second),
		ExpiresAt: exp.UTC(), SensorNodes: *nodes, SensorsLicensed: !*controllerOnly}, ed25519.NewKeyFromSeed(seed))
	if err != nil {
		return err
	}
	// Check it the way a platform will.
	if _, err := access.ParseLicense(text, ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey), time.Now()); err != nil {
		return err
	}
	fmt.Fprintln(c.out, text)
	return nil
}
