package query

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/domain/risk"
)

func TestWindowSince(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		w    Window
		want time.Duration
	}{
		{WindowNow, LiveFor}, {Window1h, time.Hour}, {Window24h, 24 * time.Hour},
		{Window3d, 72 * time.Hour}, {Window7d, 168 * time.Hour}, {Window10d, 240 * time.Hour},
	}
	for _, tt := range tests {
		if got := now.Sub(tt.w.Since(now)); got != tt.want {
			t.Errorf("window %d: since now-%s, want now-%s", tt.w, got, tt.want)
		}
	}
	if !WindowAll.Since(now).IsZero() {
		t.Error("WindowAll has a bound")
	}
	if !WindowNow.LiveOnly() || Window1h.LiveOnly() {
		t.Error("only the now window is live-only")
	}
	if Window(99).Valid() || Window(-1).Valid() || !Window10d.Valid() {
		t.Error("Valid is wrong")
	}
}

func TestPageSize(t *testing.T) {
	for _, tt := range []struct{ in, want int }{{0, 50}, {-3, 50}, {1, 1}, {1000, 1000}, {5000, 1000}} {
		if got := PageSize(int32(tt.in)); got != tt.want {
			t.Errorf("PageSize(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestOrderLess(t *testing.T) {
	tests := []struct {
		name  string
		order Order
		a, b  Cursor
		want  bool
	}{
		{"ascending strings", WorkloadOrder, Cursor{"a", "x", "c", "u"}, Cursor{"b", "a", "c", "u"}, true},
		{"tie broken by the next column", WorkloadOrder, Cursor{"a", "x", "c", "u1"}, Cursor{"a", "x", "c", "u2"}, true},
		{"equal rows are not less", WorkloadOrder, Cursor{"a", "x", "c", "u"}, Cursor{"a", "x", "c", "u"}, false},
		{"descending numbers: newer first", ProcessOrder, Cursor{"200", "1"}, Cursor{"100", "9"}, true},
		{"numbers compare as numbers", ProcessOrder, Cursor{"1000", "1"}, Cursor{"999", "1"}, true},
		{"descending id breaks ties", ProcessOrder, Cursor{"100", "9"}, Cursor{"100", "8"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.order.Less(tt.a, tt.b); got != tt.want {
				t.Errorf("Less(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
	rows := []Cursor{{"5", "1"}, {"7", "2"}, {"5", "3"}, {"10", "4"}}
	sort.Slice(rows, func(i, j int) bool { return ProcessOrder.Less(rows[i], rows[j]) })
	got := []string{}
	for _, r := range rows {
		got = append(got, r[0]+"/"+r[1])
	}
	if strings.Join(got, " ") != "10/4 7/2 5/3 5/1" {
		t.Errorf("sorted = %v", got)
	}
}

func TestTokenRoundTrip(t *testing.T) {
	fp := Fingerprint("processes", "cluster-a", "", "text")
	c := Cursor{"1732600000000000", "42"}
	tok := EncodeToken(fp, c)
	got, err := DecodeToken(tok, fp, ProcessOrder)
	if err != nil || got.String() != c.String() {
		t.Fatalf("DecodeToken = %v, %v; want %v", got, err, c)
	}
	if got, err := DecodeToken("", fp, ProcessOrder); err != nil || got != nil {
		t.Errorf("empty token = %v, %v; want the first page", got, err)
	}
	tests := []struct {
		name, token, fp, want string
	}{
		{"other filter", tok, Fingerprint("processes", "cluster-b", "", "text"), "another list or filter"},
		{"other list", tok, Fingerprint("files", "cluster-a", "", "text"), "another list or filter"},
		{"garbage", "!!!", fp, "malformed"},
		{"not json", "bm90IGpzb24", fp, "malformed"},
		{"huge", strings.Repeat("a", 10000), fp, "not one this server made"},
		{"wrong shape", EncodeToken(fp, Cursor{"1"}), fp, "malformed"},
		{"non-numeric where numeric", EncodeToken(fp, Cursor{"x", "1"}), fp, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeToken(tt.token, tt.fp, ProcessOrder)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DecodeToken = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestFingerprintSeparatesParts(t *testing.T) {
	// "ab"+"c" and "a"+"bc" must differ, or a token would fit another filter.
	if Fingerprint("l", "ab", "c") == Fingerprint("l", "a", "bc") {
		t.Error("fingerprint does not separate its parts")
	}
}

func FuzzDecodeToken(f *testing.F) {
	fp := Fingerprint("processes")
	f.Add(EncodeToken(fp, Cursor{"1", "2"}))
	f.Add("")
	f.Add("eyJ2IjoxfQ")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := DecodeToken(s, fp, ProcessOrder)
		if err == nil && c != nil && len(c) != len(ProcessOrder) {
			t.Fatalf("accepted a cursor of %d columns", len(c))
		}
	})
}

func TestSorts(t *testing.T) {
	for name, sorts := range map[string]Sorts{"clusters": ClusterSorts, "nodes": NodeSorts, "workloads": WorkloadSorts,
		"containers": ContainerSorts, "images": ImageSorts, "processes": ProcessSorts, "files": FileSorts} {
		if _, err := sorts.Get(""); err != nil {
			t.Errorf("%s has no default order", name)
		}
		for n, o := range sorts {
			// The last column of every order is a unique key (id, uid,
			// digest, container id, node name), so pages never overlap.
			last := o[len(o)-1].Name
			if !slices.Contains([]string{"id", "uid", "digest", "container_id", "name", "cluster_id"}, last) {
				t.Errorf("%s sort %q ends with %q, not a unique key", name, n, last)
			}
		}
	}
	if _, err := ProcessSorts.Get("-argv"); err == nil || !strings.Contains(err.Error(), "-count, -first_seen, path") {
		t.Errorf("unknown sort: %v", err)
	}
}

func TestRiskTotals(t *testing.T) {
	tests := []struct {
		name  string
		found []RiskTotal
		want  map[risk.Kind][2]int64
	}{
		{"none found: every kind, zero", nil, map[risk.Kind][2]int64{}},
		{"found kinds keep their counts", []RiskTotal{{Kind: risk.KindDrift, Images: 2, Risks: 5}, {Kind: risk.KindUntrustedImage, Images: 3, Risks: 3}},
			map[risk.Kind][2]int64{risk.KindDrift: {2, 5}, risk.KindUntrustedImage: {3, 3}}},
		{"a kind this version does not know is left out", []RiskTotal{{Kind: "future_kind", Images: 1, Risks: 1}}, map[risk.Kind][2]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RiskTotals(tt.found)
			if len(got) != len(risk.Kinds) {
				t.Fatalf("%d totals, want one per kind (%d)", len(got), len(risk.Kinds))
			}
			for i, g := range got {
				if g.Kind != risk.Kinds[i] {
					t.Fatalf("total %d is %s, want %s: the order is most severe first", i, g.Kind, risk.Kinds[i])
				}
				if w := tt.want[g.Kind]; g.Images != w[0] || g.Risks != w[1] {
					t.Errorf("%s = %d images, %d risks; want %v", g.Kind, g.Images, g.Risks, w)
				}
			}
		})
	}
}
