package platform_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/runwatch/runwatch/adapters/rpc"
	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/platform"
	"github.com/runwatch/runwatch/platform/platformtest"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
)

// creds are how a test call authenticates.
type creds struct {
	bearer, cookie string
	header         map[string]string
}

type result struct {
	status  int
	code    string
	message string
	body    []byte
	header  http.Header
}

// post calls a procedure with Connect JSON, as a browser or curl would.
func post(t *testing.T, in *platformtest.Instance, procedure string, c creds, body string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, in.URL+procedure, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: rpc.SessionCookie, Value: c.cookie})
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := result{status: res.StatusCode, body: b, header: res.Header}
	if res.StatusCode != 200 {
		var e struct{ Code, Message string }
		_ = json.Unmarshal(b, &e)
		r.code, r.message = e.Code, e.Message
	}
	return r
}

// login signs in and returns the session cookie.
func login(t *testing.T, in *platformtest.Instance, username, password string) string {
	t.Helper()
	r := post(t, in, "/runwatch.v1.AuthService/Login", creds{}, fmt.Sprintf(`{"username":%q,"password":%q}`, username, password))
	if r.status != 200 {
		t.Fatalf("login %s: %d %s", username, r.status, r.message)
	}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == rpc.SessionCookie {
			return c.Value
		}
	}
	t.Fatalf("login %s set no session cookie", username)
	return ""
}

func mustOK(t *testing.T, r result) []byte {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s %s", r.status, r.code, r.message)
	}
	return r.body
}

func jsonField(t *testing.T, body []byte, field string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	v, _ := m[field].(string)
	return v
}

const viewerPassword = "viewer-password-0123"

// people makes a viewer user and API tokens for both roles.
func people(t *testing.T, in *platformtest.Instance) (adminCookie, viewerCookie, adminAPI, viewerAPI string) {
	t.Helper()
	adminCookie = login(t, in, "admin", platformtest.AdminPassword)
	mustOK(t, post(t, in, "/runwatch.v1.AdminService/CreateUser", creds{cookie: adminCookie}, `{"username":"val","password":"`+viewerPassword+`","role":"ROLE_VIEWER"}`))
	viewerCookie = login(t, in, "val", viewerPassword)
	adminAPI = jsonField(t, mustOK(t, post(t, in, "/runwatch.v1.AdminService/CreateAPIToken", creds{cookie: adminCookie}, `{"name":"ci"}`)), "token")
	viewerAPI = jsonField(t, mustOK(t, post(t, in, "/runwatch.v1.AdminService/CreateAPIToken", creds{cookie: viewerCookie}, `{"name":"grafana"}`)), "token")
	return
}

// authzDenied says whether a call was refused by authorization (rather
// than by the handler for its arguments): the messages the auth
// interceptor gives.
func authzDenied(r result) bool {
	switch r.code {
	case "unauthenticated":
		return strings.Contains(r.message, "no credentials")
	case "permission_denied":
		for _, m := range []string{"may only report", "may not", "needs the admin role", "not open to any caller"} {
			if strings.Contains(r.message, m) {
				return true
			}
		}
	}
	return false
}

// TestEveryRPCIsChecked calls every procedure of every service with every
// kind of caller and checks the allowed/denied matrix. The expected class
// of each procedure is written out here, independently of the server's
// table, and every procedure the API has must be in it: a new RPC fails
// this test until someone decides who may call it.
func TestEveryRPCIsChecked(t *testing.T) {
	in := platformtest.Start(t, "sqlite")
	agent := in.CreateToken(t, "prod")
	adminCookie, viewerCookie, adminAPI, viewerAPI := people(t, in)

	const (
		public = "public"
		self   = "self"
		ingest = "ingest"
		read   = "read"
		admin  = "admin"
	)
	expected := map[string]string{
		"runwatch.v1.AuthService/Login": public, "runwatch.v1.AuthService/Logout": self,
		"runwatch.v1.AuthService/GetSession": self, "runwatch.v1.AuthService/ChangePassword": self,
		"runwatch.v1.ControllerService/RegisterCluster": ingest, "runwatch.v1.ControllerService/ReportInventory": ingest,
		"runwatch.v1.ControllerService/Heartbeat": ingest, "runwatch.v1.SensorService/RegisterNode": ingest,
		"runwatch.v1.SensorService/ReportRuntime": ingest, "runwatch.v1.SensorService/NodeHeartbeat": ingest,
		"runwatch.v1.InventoryService/GetOverview": read, "runwatch.v1.InventoryService/ListClusters": read,
		"runwatch.v1.InventoryService/ListNodes": read, "runwatch.v1.InventoryService/ListWorkloads": read,
		"runwatch.v1.InventoryService/ListContainers": read, "runwatch.v1.InventoryService/ListImages": read,
		"runwatch.v1.InventoryService/GetImage": read, "runwatch.v1.InventoryService/ListProcesses": read,
		"runwatch.v1.InventoryService/ListLoadedFiles":     read,
		"runwatch.v1.AdminService/CreateRegistrationToken": admin, "runwatch.v1.AdminService/ListRegistrationTokens": admin,
		"runwatch.v1.AdminService/RevokeRegistrationToken": admin, "runwatch.v1.AdminService/CreateUser": admin,
		"runwatch.v1.AdminService/ListUsers": admin, "runwatch.v1.AdminService/UpdateUser": admin,
		"runwatch.v1.AdminService/DeleteUser": admin, "runwatch.v1.AdminService/CreateAPIToken": self,
		"runwatch.v1.AdminService/ListAPITokens": self, "runwatch.v1.AdminService/RevokeAPIToken": self,
		"runwatch.v1.AdminService/ListAuditEvents": admin, "runwatch.v1.AdminService/ApplyLicense": admin,
		"runwatch.v1.AdminService/GetLicense": read,
		// Enrichment.
		"runwatch.v1.InventoryService/ListVulnerabilities": read, "runwatch.v1.InventoryService/GetImageRisk": read,
		"runwatch.v1.InventoryService/GetWorkloadRisk": read, "runwatch.v1.InventoryService/ExportSBOM": read,
		"runwatch.v1.InventoryService/ExportVEX": read, "runwatch.v1.InventoryService/ListVulnerabilitySources": read,
		"runwatch.v1.AdminService/PutIntegration": admin, "runwatch.v1.AdminService/ListIntegrations": admin,
		"runwatch.v1.AdminService/DeleteIntegration": admin, "runwatch.v1.AdminService/PutWebhook": admin,
		"runwatch.v1.AdminService/ListWebhooks": admin, "runwatch.v1.AdminService/DeleteWebhook": admin,
	}
	callers := []struct {
		name   string
		c      creds
		allows map[string]bool
	}{
		{"anonymous", creds{}, map[string]bool{public: true}},
		{"agent", creds{bearer: agent}, map[string]bool{public: true, ingest: true}},
		{"viewer session", creds{cookie: viewerCookie}, map[string]bool{public: true, self: true, read: true}},
		{"viewer API token", creds{bearer: viewerAPI}, map[string]bool{public: true, self: true, read: true}},
		{"admin session", creds{cookie: adminCookie}, map[string]bool{public: true, self: true, read: true, admin: true}},
		{"admin API token", creds{bearer: adminAPI}, map[string]bool{public: true, self: true, read: true, admin: true}},
		{"admin token", creds{bearer: platformtest.AdminToken}, map[string]bool{public: true, self: true, read: true, admin: true}},
	}
	// Every procedure the server serves must be in the table.
	var procedures []string
	for _, svc := range rpc.Services {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
		if err != nil {
			t.Fatal(err)
		}
		methods := d.(protoreflect.ServiceDescriptor).Methods()
		for i := range methods.Len() {
			p := svc + "/" + string(methods.Get(i).Name())
			if _, ok := expected[p]; !ok {
				t.Errorf("%s is not in the permission matrix: decide who may call it", p)
			}
			procedures = append(procedures, p)
		}
	}
	if len(procedures) != len(expected) {
		t.Errorf("the matrix lists %d procedures, the API has %d", len(expected), len(procedures))
	}
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range procedures {
				if strings.HasSuffix(p, "/Logout") {
					continue // would end the session other calls use; tested on its own
				}
				r := post(t, in, "/"+p, c.c, `{}`)
				want := c.allows[expected[p]]
				if denied := authzDenied(r); denied == want {
					t.Errorf("%s: allowed=%v, got %d %s %q", p, want, r.status, r.code, r.message)
				}
			}
		})
	}
	t.Run("logout", func(t *testing.T) {
		for _, c := range callers {
			r := post(t, in, "/runwatch.v1.AuthService/Logout", c.c, `{}`)
			if want := c.allows[self]; authzDenied(r) == want {
				t.Errorf("%s: Logout allowed=%v, got %d %s %q", c.name, want, r.status, r.code, r.message)
			}
		}
	})
}

func TestSessions(t *testing.T) {
	in := platformtest.Start(t, "sqlite")
	r := post(t, in, "/runwatch.v1.AuthService/Login", creds{}, `{"username":"admin","password":"`+platformtest.AdminPassword+`"}`)
	mustOK(t, r)
	set := r.header.Get("Set-Cookie")
	for _, attr := range []string{rpc.SessionCookie + "=rws_", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(set, attr) {
			t.Errorf("Set-Cookie %q lacks %q", set, attr)
		}
	}
	if strings.Contains(set, "Secure") {
		t.Errorf("a cookie over plain HTTP is marked Secure: %q", set)
	}
	cookie := login(t, in, "admin", platformtest.AdminPassword)
	who := mustOK(t, post(t, in, "/runwatch.v1.AuthService/GetSession", creds{cookie: cookie}, `{}`))
	if !strings.Contains(string(who), `"username":"admin"`) || !strings.Contains(string(who), "ROLE_ADMIN") {
		t.Errorf("session = %s", who)
	}
	tests := []struct {
		name string
		c    creds
		code string
		msg  string
	}{
		{"forged cookie", creds{cookie: "rws_aaaaaaaa_" + strings.Repeat("a", 32)}, "unauthenticated", "session ended"},
		{"malformed cookie", creds{cookie: "hello"}, "unauthenticated", "not a session"},
		{"cookie from another site", creds{cookie: cookie, header: map[string]string{"Origin": "https://evil.example"}}, "permission_denied", "cross-site"},
		{"cross-site fetch", creds{cookie: cookie, header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, "permission_denied", "cross-site"},
		{"same origin is fine", creds{cookie: cookie, header: map[string]string{"Origin": in.URL, "Sec-Fetch-Site": "same-origin"}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, in, "/runwatch.v1.InventoryService/GetOverview", tt.c, `{}`)
			if r.code != tt.code || !strings.Contains(r.message, tt.msg) {
				t.Errorf("got %d %s %q, want %s %q", r.status, r.code, r.message, tt.code, tt.msg)
			}
		})
	}
	// Viewers read but do not administer.
	mustOK(t, post(t, in, "/runwatch.v1.AdminService/CreateUser", creds{cookie: cookie}, `{"username":"val","password":"`+viewerPassword+`","role":"ROLE_VIEWER"}`))
	val := login(t, in, "val", viewerPassword)
	mustOK(t, post(t, in, "/runwatch.v1.InventoryService/ListWorkloads", creds{cookie: val}, `{}`))
	if r := post(t, in, "/runwatch.v1.AdminService/CreateRegistrationToken", creds{cookie: val}, `{"clusterName":"x"}`); r.code != "permission_denied" {
		t.Errorf("viewer created a token: %d %s", r.status, r.message)
	}
	// A password change ends the user's other sessions, not this one.
	val2 := login(t, in, "val", viewerPassword)
	mustOK(t, post(t, in, "/runwatch.v1.AuthService/ChangePassword", creds{cookie: val}, `{"currentPassword":"`+viewerPassword+`","newPassword":"a-new-password-456"}`))
	if r := post(t, in, "/runwatch.v1.InventoryService/GetOverview", creds{cookie: val2}, `{}`); r.code != "unauthenticated" {
		t.Errorf("other session after a password change: %d %s", r.status, r.message)
	}
	mustOK(t, post(t, in, "/runwatch.v1.InventoryService/GetOverview", creds{cookie: val}, `{}`))
	// Disabling a user ends their sessions and API tokens at once.
	valAPI := jsonField(t, mustOK(t, post(t, in, "/runwatch.v1.AdminService/CreateAPIToken", creds{cookie: val}, `{"name":"mine"}`)), "token")
	users := mustOK(t, post(t, in, "/runwatch.v1.AdminService/ListUsers", creds{cookie: cookie}, `{}`))
	var list struct {
		Users []struct{ ID, Username string }
	}
	_ = json.Unmarshal(users, &list)
	var valID string
	for _, u := range list.Users {
		if u.Username == "val" {
			valID = u.ID
		}
	}
	mustOK(t, post(t, in, "/runwatch.v1.AdminService/UpdateUser", creds{cookie: cookie}, `{"id":"`+valID+`","disabled":true}`))
	for name, c := range map[string]creds{"session": {cookie: val}, "API token": {bearer: valAPI}} {
		if r := post(t, in, "/runwatch.v1.InventoryService/GetOverview", c, `{}`); r.code != "unauthenticated" {
			t.Errorf("disabled user's %s: %d %s", name, r.status, r.message)
		}
	}
	if r := post(t, in, "/runwatch.v1.AuthService/Login", creds{}, `{"username":"val","password":"a-new-password-456"}`); r.code != "unauthenticated" {
		t.Errorf("disabled user logged in: %d", r.status)
	}
	// The last admin cannot be removed or demoted.
	var adminID string
	for _, u := range list.Users {
		if u.Username == "admin" {
			adminID = u.ID
		}
	}
	if r := post(t, in, "/runwatch.v1.AdminService/DeleteUser", creds{cookie: cookie}, `{"id":"`+adminID+`"}`); r.code != "failed_precondition" || !strings.Contains(r.message, "last enabled admin") {
		t.Errorf("deleting the last admin: %d %s %s", r.status, r.code, r.message)
	}
	if r := post(t, in, "/runwatch.v1.AdminService/UpdateUser", creds{cookie: cookie}, `{"id":"`+adminID+`","role":"ROLE_VIEWER"}`); r.code != "failed_precondition" {
		t.Errorf("demoting the last admin: %d %s", r.status, r.code)
	}
	// Logout ends the session and clears the cookie.
	r = post(t, in, "/runwatch.v1.AuthService/Logout", creds{cookie: cookie}, `{}`)
	mustOK(t, r)
	if !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout Set-Cookie = %q", r.header.Get("Set-Cookie"))
	}
	if r := post(t, in, "/runwatch.v1.InventoryService/GetOverview", creds{cookie: cookie}, `{}`); r.code != "unauthenticated" {
		t.Errorf("after logout: %d %s", r.status, r.code)
	}
}

func TestLoginRateLimit(t *testing.T) {
	in := platformtest.Start(t, "sqlite")
	for i := range 5 {
		r := post(t, in, "/runwatch.v1.AuthService/Login", creds{}, `{"username":"admin","password":"wrong-password-`+fmt.Sprint(i)+`"}`)
		if r.code != "unauthenticated" || r.message != "wrong username or password" {
			t.Fatalf("attempt %d: %d %s %q", i, r.status, r.code, r.message)
		}
	}
	// Now even the right password waits, for this user and this address.
	r := post(t, in, "/runwatch.v1.AuthService/Login", creds{}, `{"username":"admin","password":"`+platformtest.AdminPassword+`"}`)
	if r.code != "resource_exhausted" || !strings.Contains(r.message, "too many failed logins") {
		t.Errorf("after 5 failures: %d %s %q", r.status, r.code, r.message)
	}
	if r := post(t, in, "/runwatch.v1.AuthService/Login", creds{}, `{"username":"nobody","password":"whatever-password"}`); r.code != "resource_exhausted" {
		t.Errorf("another user from the same address: %d %s", r.status, r.code)
	}
	// Unknown users and wrong passwords look the same.
	in2 := platformtest.Start(t, "sqlite")
	a := post(t, in2, "/runwatch.v1.AuthService/Login", creds{}, `{"username":"nobody","password":"whatever-password"}`)
	b := post(t, in2, "/runwatch.v1.AuthService/Login", creds{}, `{"username":"admin","password":"whatever-password"}`)
	if a.code != b.code || a.message != b.message {
		t.Errorf("unknown user %q vs wrong password %q", a.message, b.message)
	}
}

func TestAuditLog(t *testing.T) {
	in := platformtest.Start(t, "sqlite")
	cookie := login(t, in, "admin", platformtest.AdminPassword)
	mustOK(t, post(t, in, "/runwatch.v1.AdminService/CreateUser", creds{cookie: cookie}, `{"username":"val","password":"`+viewerPassword+`","role":"ROLE_VIEWER"}`))
	in.CreateToken(t, "prod")
	post(t, in, "/runwatch.v1.AuthService/Login", creds{}, `{"username":"val","password":"not-the-password"}`)
	post(t, in, "/runwatch.v1.InventoryService/ListWorkloads", creds{cookie: cookie}, `{}`) // reads are not audited
	body := mustOK(t, post(t, in, "/runwatch.v1.AdminService/ListAuditEvents", creds{cookie: cookie}, `{}`))
	var res struct {
		Events []struct{ Actor, Action, Detail, Result, ActorKind string }
	}
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Events {
		got = append(got, e.Actor+" "+strings.TrimPrefix(e.Action, "/runwatch.v1.")+" "+e.Result)
		if strings.Contains(e.Detail, viewerPassword) || strings.Contains(e.Detail, platformtest.AdminPassword) || strings.Contains(e.Detail, "not-the-password") {
			t.Errorf("a password is in the audit log: %s", e.Detail)
		}
	}
	want := []string{
		"val AuthService/Login unauthenticated",
		"admin-token AdminService/CreateRegistrationToken ok",
		"admin AdminService/CreateUser ok",
		"admin AuthService/Login ok",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(res.Events) > 2 && !strings.Contains(res.Events[2].Detail, `"password":"[redacted]"`) {
		t.Errorf("CreateUser detail = %s", res.Events[2].Detail)
	}
}

func TestAPITokens(t *testing.T) {
	in := platformtest.Start(t, "sqlite")
	in.Seed(t, "prod", 3)
	_, viewerCookie, adminAPI, viewerAPI := people(t, in)
	if r := post(t, in, "/runwatch.v1.AdminService/CreateAPIToken", creds{cookie: viewerCookie}, `{"name":"x","role":"ROLE_ADMIN"}`); r.code != "permission_denied" {
		t.Errorf("viewer made an admin token: %d %s", r.status, r.message)
	}
	mustOK(t, post(t, in, "/runwatch.v1.InventoryService/ListProcesses", creds{bearer: viewerAPI}, `{}`))
	ctx := context.Background()
	_, sensor := platformtest.Agents(in.URL, adminAPI)
	if _, err := sensor.ReportRuntime(ctx, connect.NewRequest(platformtest.SampleRuntime("api-token-ingest", 1))); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Errorf("API token ingested: %v", err)
	}
	mine := mustOK(t, post(t, in, "/runwatch.v1.AdminService/ListAPITokens", creds{bearer: viewerAPI}, `{}`))
	all := mustOK(t, post(t, in, "/runwatch.v1.AdminService/ListAPITokens", creds{bearer: adminAPI}, `{}`))
	if c := strings.Count(string(mine), `"id"`); c != 1 {
		t.Errorf("viewer sees %d tokens", c)
	}
	if c := strings.Count(string(all), `"id"`); c != 2 {
		t.Errorf("admin sees %d tokens", c)
	}
	id, _ := access.ParseAPIToken(viewerAPI)
	adminID, _ := access.ParseAPIToken(adminAPI)
	if r := post(t, in, "/runwatch.v1.AdminService/RevokeAPIToken", creds{bearer: viewerAPI}, `{"id":"`+adminID+`"}`); r.code != "not_found" {
		t.Errorf("viewer revoked another's token: %d %s", r.status, r.code)
	}
	mustOK(t, post(t, in, "/runwatch.v1.AdminService/RevokeAPIToken", creds{bearer: viewerAPI}, `{"id":"`+id+`"}`))
	if r := post(t, in, "/runwatch.v1.InventoryService/ListProcesses", creds{bearer: viewerAPI}, `{}`); r.code != "unauthenticated" || !strings.Contains(r.message, "revoked") {
		t.Errorf("revoked API token: %d %s %q", r.status, r.code, r.message)
	}
}

func licenseKeys(t testing.TB) (string, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(pub), priv
}

func issue(t testing.TB, priv ed25519.PrivateKey, nodes int64, sensors bool, expires time.Time) string {
	t.Helper()
	s, err := access.SignLicense(access.License{ID: "lic-test", Organization: "Example Corp", IssuedAt: time.Now().Add(-time.Hour),
		ExpiresAt: expires, SensorNodes: nodes, SensorsLicensed: sensors}, priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEntitlement runs sensors past a licence and back.
func TestEntitlement(t *testing.T) {
	pub, priv := licenseKeys(t)
	in := platformtest.StartWith(t, "sqlite", func(c *platform.Config) { c.LicensePublicKey = pub })
	ctx := context.Background()
	token := in.CreateToken(t, "prod")
	controller, sensor := platformtest.Agents(in.URL, token)
	admin := creds{bearer: platformtest.AdminToken}

	lic := mustOK(t, post(t, in, "/runwatch.v1.AdminService/GetLicense", admin, `{}`))
	if !strings.Contains(string(lic), "LICENSE_SOURCE_DEFAULT") || !strings.Contains(string(lic), `"sensorNodes":"10"`) {
		t.Fatalf("default licence = %s", lic)
	}
	// Refused licences: tampered, expired, signed by another key.
	good := issue(t, priv, 2, true, time.Now().Add(24*time.Hour))
	tampered := []byte(good)
	tampered[len(access.LicensePrefix)+20] ^= 1
	_, otherPriv := licenseKeys(t)
	for name, l := range map[string]string{
		"tampered": string(tampered), "expired": issue(t, priv, 2, true, time.Now().Add(-time.Minute)),
		"another key": issue(t, otherPriv, 100, true, time.Now().Add(time.Hour)),
	} {
		if r := post(t, in, "/runwatch.v1.AdminService/ApplyLicense", admin, `{"license":"`+l+`"}`); r.code != "invalid_argument" {
			t.Errorf("%s licence: %d %s %q", name, r.status, r.code, r.message)
		}
	}
	mustOK(t, post(t, in, "/runwatch.v1.AdminService/ApplyLicense", admin, `{"license":"`+good+`"}`))

	register := func(node string) *v1.RegisterNodeResponse {
		t.Helper()
		r, err := sensor.RegisterNode(ctx, connect.NewRequest(&v1.RegisterNodeRequest{NodeName: node, Mode: v1.SensorMode_SENSOR_MODE_KUBERNETES}))
		if err != nil {
			t.Fatal(err)
		}
		return r.Msg
	}
	report := func(node, batch string) error {
		req := platformtest.SampleRuntime(batch, 1)
		req.NodeName = node
		_, err := sensor.ReportRuntime(ctx, connect.NewRequest(req))
		return err
	}
	for _, n := range []string{"node-a", "node-b"} {
		if r := register(n); r.Restricted {
			t.Fatalf("%s restricted within the licence", n)
		}
		time.Sleep(2 * time.Millisecond) // distinct start times: the order is by time
	}
	third := register("node-c")
	if !third.Restricted || !strings.Contains(third.RestrictionReason, "entitlement") {
		t.Fatalf("the third node on a 2-node licence: %+v", third)
	}
	err := report("node-c", "entitle-c-1")
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeFailedPrecondition {
		t.Fatalf("restricted node's report: %v", err)
	}
	var detail *v1.Restriction
	for _, d := range ce.Details() {
		if m, err := d.Value(); err == nil {
			if r, ok := m.(*v1.Restriction); ok {
				detail = r
			}
		}
	}
	if detail == nil || detail.GetRetryAfter().AsDuration() <= 0 || !strings.Contains(detail.GetReason(), "entitlement") {
		t.Errorf("restriction detail = %v", detail)
	}
	if err := report("node-a", "entitle-a-1"); err != nil {
		t.Errorf("entitled node refused: %v", err)
	}
	// A node that reports without registering counts too, and is the newest.
	if err := report("node-d", "entitle-d-1"); connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Errorf("unregistered node over the licence: %v", err)
	}
	// The API says which nodes are restricted and why.
	lic = mustOK(t, post(t, in, "/runwatch.v1.AdminService/GetLicense", admin, `{}`))
	var view struct {
		NodesInOperation string `json:"nodesInOperation"`
		NodesRestricted  string `json:"nodesRestricted"`
		Nodes            []struct {
			NodeName   string `json:"nodeName"`
			Restricted bool
		}
	}
	_ = json.Unmarshal(lic, &view)
	if view.NodesInOperation != "4" || view.NodesRestricted != "2" || len(view.Nodes) != 4 || view.Nodes[0].NodeName != "node-a" || !view.Nodes[3].Restricted {
		t.Errorf("licence view = %s", lic)
	}
	nodes := call[v1.ListNodesResponse](t, in, "InventoryService/ListNodes", platformtest.AdminToken, `{"filter":{"node":"node-c"}}`)
	if s := nodes.Nodes[0].GetSensor(); s.GetStatus() != v1.SensorStatus_SENSOR_STATUS_RESTRICTED || s.GetRestrictionReason() == "" {
		t.Errorf("node-c sensor = %v", s)
	}
	// Controllers are never restricted.
	if _, err := controller.ReportInventory(ctx, connect.NewRequest(platformtest.SampleSnapshot())); err != nil {
		t.Errorf("controller refused: %v", err)
	}
	// A node leaving lifts the oldest restricted node's restriction at once.
	if _, err := sensor.NodeHeartbeat(ctx, connect.NewRequest(&v1.NodeHeartbeatRequest{NodeName: "node-b", Status: v1.SensorStatus_SENSOR_STATUS_STOPPED})); err != nil {
		t.Fatal(err)
	}
	hb, err := sensor.NodeHeartbeat(ctx, connect.NewRequest(&v1.NodeHeartbeatRequest{NodeName: "node-c", Status: v1.SensorStatus_SENSOR_STATUS_RUNNING}))
	if err != nil || hb.Msg.GetRestricted() {
		t.Fatalf("node-c after node-b stopped: %v %v", hb, err)
	}
	if err := report("node-c", "entitle-c-2"); err != nil {
		t.Errorf("node-c still refused: %v", err)
	}
	if err := report("node-d", "entitle-d-2"); connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Errorf("node-d should still be over: %v", err)
	}
	// A licence for fewer nodes restricts at once; sensors not licensed restricts all.
	mustOK(t, post(t, in, "/runwatch.v1.AdminService/ApplyLicense", admin, `{"license":"`+issue(t, priv, 5, false, time.Now().Add(time.Hour))+`"}`))
	if err := report("node-a", "entitle-a-2"); connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Errorf("sensors unlicensed, node-a: %v", err)
	}
	if _, err := controller.Heartbeat(ctx, connect.NewRequest(&v1.HeartbeatRequest{})); err != nil {
		t.Errorf("controller heartbeat with sensors unlicensed: %v", err)
	}
}

// TestIngestRateLimit checks a node over its rate is told to wait.
func TestIngestRateLimit(t *testing.T) {
	in := platformtest.StartWith(t, "sqlite", func(c *platform.Config) { c.IngestRateNode = 1 })
	_, sensor := platformtest.Agents(in.URL, in.CreateToken(t, "prod"))
	ctx := context.Background()
	// The burst takes one maximal batch; the next is over the rate.
	if _, err := sensor.ReportRuntime(ctx, connect.NewRequest(platformtest.SampleRuntime("ratelimit-1", 5000))); err != nil {
		t.Fatal(err)
	}
	_, err := sensor.ReportRuntime(ctx, connect.NewRequest(platformtest.SampleRuntime("ratelimit-2", 5000)))
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeResourceExhausted || !strings.Contains(ce.Message(), "node node-1") {
		t.Fatalf("over the rate: %v", err)
	}
	if ce.Meta().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	res, _ := http.Get(in.URL + "/metrics")
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Contains(b, []byte(`runwatch_ingest_rate_limited_total{scope="node"} 1`)) {
		t.Error("rate limiting is not in the metrics")
	}
}
