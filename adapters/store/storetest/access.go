package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/query"
	"github.com/runwatch/runwatch/domain/runtime"
	"github.com/runwatch/runwatch/ports"
)

var accessTests = []contractTest{
	{"Users", testUsers},
	{"Sessions", testSessions},
	{"APITokens", testAPITokens},
	{"Audit", testAudit},
	{"Settings", testSettings},
	{"NodesInOperationAndRestrictions", testEntitlement},
}

func testUsers(t *testing.T, s ports.Store) {
	u := access.UserAccount{ID: "u_1", Username: "ada", Role: access.RoleAdmin, PasswordHash: "$hash$1", CreatedAt: t0}
	must(t, s.CreateUser(ctx, u))
	if err := s.CreateUser(ctx, access.UserAccount{ID: "u_2", Username: "ada", Role: access.RoleViewer, PasswordHash: "x", CreatedAt: t0}); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("duplicate username: %v, want ErrConflict", err)
	}
	must(t, s.CreateUser(ctx, access.UserAccount{ID: "u_3", Username: "val", Role: access.RoleViewer, PasswordHash: "$hash$3", CreatedAt: t0}))
	got, err := s.GetUserByName(ctx, "ada")
	must(t, err)
	if got.ID != "u_1" || got.Role != access.RoleAdmin || got.PasswordHash != "$hash$1" || !got.CreatedAt.Equal(t0) || !got.Active() {
		t.Errorf("user = %+v", got)
	}
	if _, err := s.GetUser(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	if n, _ := s.CountActiveAdmins(ctx); n != 1 {
		t.Errorf("admins = %d", n)
	}
	got.DisabledAt = t0.Add(time.Hour)
	must(t, s.UpdateUser(ctx, got))
	if n, _ := s.CountActiveAdmins(ctx); n != 0 {
		t.Errorf("a disabled admin counts: %d", n)
	}
	must(t, s.RecordLogin(ctx, "u_3", t0.Add(time.Minute)))
	users, err := s.ListUsers(ctx)
	must(t, err)
	if len(users) != 2 || users[0].Username != "ada" || users[0].Active() || !users[1].LastLoginAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("users = %+v", users)
	}
	// Deleting a user ends their sessions and revokes their tokens.
	_, se, _ := access.NewSession(strings.NewReader(strings.Repeat("s", 64)), "u_3", t0)
	must(t, s.CreateSession(ctx, se))
	_, tok, _ := access.NewAPIToken(strings.NewReader(strings.Repeat("k", 64)), access.Principal{Kind: access.User, Role: access.RoleViewer, UserID: "u_3", Username: "val"}, "ci", "", 0, t0)
	must(t, s.CreateAPIToken(ctx, tok))
	must(t, s.DeleteUser(ctx, "u_3"))
	if _, err := s.GetSession(ctx, se.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("session of a deleted user: %v", err)
	}
	if rec, _ := s.GetAPIToken(ctx, tok.ID); rec.RevokedAt.IsZero() {
		t.Error("a deleted user's API token is not revoked")
	}
	if err := s.DeleteUser(ctx, "u_3"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
}

func testSessions(t *testing.T, s ports.Store) {
	must(t, s.CreateUser(ctx, access.UserAccount{ID: "u_1", Username: "ada", Role: access.RoleAdmin, PasswordHash: "h", CreatedAt: t0}))
	var ids []string
	for i := range 3 {
		_, se, err := access.NewSession(strings.NewReader(strings.Repeat(fmt.Sprint(i), 64)), "u_1", t0.Add(time.Duration(i)*time.Hour))
		must(t, err)
		must(t, s.CreateSession(ctx, se))
		ids = append(ids, se.ID)
	}
	got, err := s.GetSession(ctx, ids[0])
	must(t, err)
	if got.UserID != "u_1" || !got.ExpiresAt.Equal(t0.Add(access.SessionTTL)) {
		t.Errorf("session = %+v", got)
	}
	n, err := s.DeleteExpiredSessions(ctx, t0.Add(access.SessionTTL))
	must(t, err)
	if n != 1 {
		t.Errorf("expired sessions deleted = %d, want 1", n)
	}
	must(t, s.DeleteUserSessions(ctx, "u_1", ids[2]))
	if _, err := s.GetSession(ctx, ids[1]); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("other session survived: %v", err)
	}
	if _, err := s.GetSession(ctx, ids[2]); err != nil {
		t.Errorf("the kept session is gone: %v", err)
	}
	must(t, s.DeleteSession(ctx, ids[2]))
	if _, err := s.GetSession(ctx, ids[2]); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("logged-out session: %v", err)
	}
}

func testAPITokens(t *testing.T, s ports.Store) {
	ada := access.Principal{Kind: access.User, Role: access.RoleAdmin, UserID: "u_1", Username: "ada"}
	val := access.Principal{Kind: access.User, Role: access.RoleViewer, UserID: "u_2", Username: "val"}
	_, a, _ := access.NewAPIToken(strings.NewReader(strings.Repeat("a", 64)), ada, "deploy", access.RoleViewer, time.Hour, t0)
	_, v, _ := access.NewAPIToken(strings.NewReader(strings.Repeat("v", 64)), val, "grafana", "", 0, t0.Add(time.Second))
	must(t, s.CreateAPIToken(ctx, a))
	must(t, s.CreateAPIToken(ctx, v))
	got, err := s.GetAPIToken(ctx, a.ID)
	must(t, err)
	if got.Name != "deploy" || got.Role != access.RoleViewer || got.Username != "ada" || got.SecretHash != a.SecretHash || !got.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("token = %+v", got)
	}
	mine, _ := s.ListAPITokens(ctx, "u_2")
	all, _ := s.ListAPITokens(ctx, "*")
	if len(mine) != 1 || mine[0].ID != v.ID || len(all) != 2 || all[0].ID != v.ID {
		t.Errorf("mine = %+v, all = %+v", mine, all)
	}
	rev, err := s.RevokeAPIToken(ctx, a.ID, t0.Add(time.Minute))
	must(t, err)
	rev2, _ := s.RevokeAPIToken(ctx, a.ID, t0.Add(time.Hour))
	if !rev.RevokedAt.Equal(t0.Add(time.Minute)) || !rev2.RevokedAt.Equal(rev.RevokedAt) {
		t.Errorf("revoked at %v then %v", rev.RevokedAt, rev2.RevokedAt)
	}
	must(t, s.TouchAPITokens(ctx, map[string]time.Time{v.ID: t0.Add(time.Hour)}))
	got, _ = s.GetAPIToken(ctx, v.ID)
	if !got.LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("LastUsedAt = %v", got.LastUsedAt)
	}
	if _, err := s.GetAPIToken(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
}

func testAudit(t *testing.T, s ports.Store) {
	for i := range 7 {
		actor := "ada"
		if i%2 == 1 {
			actor = "val"
		}
		must(t, s.AppendAudit(ctx, access.AuditEvent{At: t0.Add(time.Duration(i) * time.Minute), ActorKind: access.User, Actor: actor,
			Action: fmt.Sprintf("/runwatch.v1.AdminService/Op%d", i), Detail: `{"x":1}`, Result: "ok", RemoteAddr: "10.0.0.1"}))
	}
	page, err := s.ListAudit(ctx, "", 3, 0)
	must(t, err)
	if len(page) != 3 || page[0].Action != "/runwatch.v1.AdminService/Op6" || page[0].Detail != `{"x":1}` || !page[0].At.Equal(t0.Add(6*time.Minute)) {
		t.Fatalf("first page = %+v", page)
	}
	next, _ := s.ListAudit(ctx, "", 3, page[2].ID)
	if len(next) != 3 || next[0].Action != "/runwatch.v1.AdminService/Op3" {
		t.Errorf("second page = %+v", next)
	}
	vals, _ := s.ListAudit(ctx, "VAL", 10, 0)
	if len(vals) != 3 {
		t.Errorf("by actor = %d events, want 3", len(vals))
	}
	ops, _ := s.ListAudit(ctx, "op5", 10, 0)
	if len(ops) != 1 {
		t.Errorf("by action = %d events", len(ops))
	}
}

func testSettings(t *testing.T, s ports.Store) {
	if _, found, err := s.GetSetting(ctx, "license"); err != nil || found {
		t.Fatalf("unset setting: found=%v err=%v", found, err)
	}
	must(t, s.PutSetting(ctx, "license", "one", t0))
	must(t, s.PutSetting(ctx, "license", "two", t0.Add(time.Second)))
	if v, found, err := s.GetSetting(ctx, "license"); err != nil || !found || v != "two" {
		t.Errorf("setting = %q %v %v", v, found, err)
	}
}

func testEntitlement(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	hb := func(node string, status inventory.SensorStatus, when time.Time) {
		t.Helper()
		must(t, s.SensorHeartbeat(ctx, c, runtime.Heartbeat{NodeName: node, Status: status}, when))
	}
	must(t, s.RegisterSensor(ctx, c, runtime.SensorInfo{NodeName: "old"}, at(0)))
	hb("old", inventory.SensorRunning, at(time.Minute))
	must(t, s.RegisterSensor(ctx, c, runtime.SensorInfo{NodeName: "new"}, at(2*time.Minute)))
	must(t, s.TouchSensor(ctx, c, "reporter", at(2*time.Minute)))
	hb("gone", inventory.SensorRunning, at(-time.Hour))
	hb("stopped", inventory.SensorRunning, at(time.Minute))
	hb("stopped", inventory.SensorStopped, at(2*time.Minute))
	apply(t, s, c, inventory.Batch{ID: "batch-0001", Nodes: []inventory.Node{{Name: "labelled", SensorDisabled: true}}}, at(0))
	hb("labelled", inventory.SensorRunning, at(2*time.Minute))

	now := at(2 * time.Minute)
	names := func() []string {
		nodes, err := s.NodesInOperation(ctx, now.Add(-inventory.StaleAfter))
		must(t, err)
		var out []string
		for _, n := range nodes {
			out = append(out, fmt.Sprintf("%s@%s", n.Node, n.Since.Sub(t0)))
			if n.ClusterName != "prod" {
				t.Errorf("cluster name = %q", n.ClusterName)
			}
		}
		slices.Sort(out)
		return out
	}
	if got, want := names(), []string{"new@2m0s", "old@0s", "reporter@2m0s"}; !slices.Equal(got, want) {
		t.Errorf("in operation = %v, want %v", got, want)
	}
	// A sensor restart keeps its node's place; a return after silence does not.
	must(t, s.RegisterSensor(ctx, c, runtime.SensorInfo{NodeName: "old"}, now))
	hb("gone", inventory.SensorRunning, now)
	hb("stopped", inventory.SensorRunning, now)
	if got, want := names(), []string{"gone@2m0s", "new@2m0s", "old@0s", "reporter@2m0s", "stopped@2m0s"}; !slices.Equal(got, want) {
		t.Errorf("in operation = %v, want %v", got, want)
	}
	nodes, _ := s.NodesInOperation(ctx, now.Add(-inventory.StaleAfter))
	decisions := access.Restrict(nodes, access.License{SensorNodes: 3, SensorsLicensed: true})
	must(t, s.SetRestrictions(ctx, decisions))
	restricted := func() []string {
		page, err := s.ListNodes(ctx, query.Filter{}, 20, nil, now)
		must(t, err)
		var out []string
		for _, n := range page.Items {
			if n.Sensor.Restricted {
				out = append(out, n.Name)
				if !strings.Contains(n.Sensor.RestrictionReason, "entitlement") {
					t.Errorf("reason = %q", n.Sensor.RestrictionReason)
				}
			}
		}
		return out
	}
	if got := restricted(); !slices.Equal(got, []string{"reporter", "stopped"}) {
		t.Errorf("restricted = %v", got)
	}
	must(t, s.SetRestrictions(ctx, access.Restrict(nodes, access.License{SensorNodes: 4, SensorsLicensed: true})))
	if got := restricted(); !slices.Equal(got, []string{"stopped"}) {
		t.Errorf("after raising the entitlement, restricted = %v", got)
	}
	must(t, s.SetRestrictions(ctx, nil))
	if got := restricted(); len(got) != 0 {
		t.Errorf("after lifting, restricted = %v", got)
	}
}
