package vuln

import "strings"

// Maven versions follow org.apache.maven.artifact.versioning.ComparableVersion:
// a version is a list of items split at '.', '-' and transitions between
// digits and letters; a '-' (or a transition) starts a sub-list. Numbers
// compare numerically, qualifiers by their well-known order, and trailing
// "null" items (0, "", "final", "ga", "release") do not count, so 1.0 ==
// 1 == 1-ga.

type mvnKind int

const (
	mvnInt mvnKind = iota
	mvnString
	mvnList
)

type mvnItem struct {
	kind mvnKind
	num  string    // mvnInt
	str  string    // mvnString, normalised qualifier
	list []mvnItem // mvnList
}

// mvnQualifiers is the order of the qualifiers Maven knows; "" is a release.
var mvnQualifiers = map[string]int{"alpha": 0, "beta": 1, "milestone": 2, "rc": 3, "snapshot": 4, "": 5, "sp": 6}

var mvnAliases = map[string]string{"ga": "", "final": "", "release": "", "cr": "rc"}

func newMvnString(s string, followedByDigit bool) mvnItem {
	if followedByDigit && len(s) == 1 {
		switch s {
		case "a":
			s = "alpha"
		case "b":
			s = "beta"
		case "m":
			s = "milestone"
		}
	}
	if a, ok := mvnAliases[s]; ok {
		s = a
	}
	return mvnItem{kind: mvnString, str: s}
}

func (it mvnItem) isNull() bool {
	switch it.kind {
	case mvnInt:
		return strings.TrimLeft(it.num, "0") == ""
	case mvnString:
		return it.str == ""
	default:
		return len(it.list) == 0
	}
}

// normalize drops trailing null items of a list, stopping at a sub-list.
func normalize(l []mvnItem) []mvnItem {
	for i := len(l) - 1; i >= 0; i-- {
		if l[i].isNull() {
			l = append(l[:i], l[i+1:]...)
		} else if l[i].kind != mvnList {
			break
		}
	}
	return l
}

func parseMaven(v string) []mvnItem {
	v = strings.ToLower(v)
	root := &mvnItem{kind: mvnList}
	stack := []*mvnItem{root}
	cur := func() *mvnItem { return stack[len(stack)-1] }
	add := func(it mvnItem) { c := cur(); c.list = append(c.list, it) }
	push := func() {
		c := cur()
		c.list = append(c.list, mvnItem{kind: mvnList})
		stack = append(stack, &c.list[len(c.list)-1])
	}
	token := func(s string, digit, followedByDigit bool) mvnItem {
		if digit {
			return mvnItem{kind: mvnInt, num: s}
		}
		return newMvnString(s, followedByDigit)
	}
	isDigitRun := false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.':
			if i == start {
				add(mvnItem{kind: mvnInt, num: "0"})
			} else {
				add(token(v[start:i], isDigitRun, false))
			}
			start = i + 1
		case c == '-':
			if i == start {
				add(mvnItem{kind: mvnInt, num: "0"})
			} else {
				add(token(v[start:i], isDigitRun, false))
			}
			start = i + 1
			push()
		case isDigit(c):
			if !isDigitRun && i > start {
				add(token(v[start:i], false, true))
				start = i
				push()
			}
			isDigitRun = true
		default:
			if isDigitRun && i > start {
				add(token(v[start:i], true, false))
				start = i
				push()
			}
			isDigitRun = false
		}
	}
	if len(v) > start {
		add(token(v[start:], isDigitRun, false))
	}
	var norm func(it *mvnItem)
	norm = func(it *mvnItem) {
		for i := range it.list {
			if it.list[i].kind == mvnList {
				norm(&it.list[i])
			}
		}
		it.list = normalize(it.list)
	}
	norm(root)
	return root.list
}

func qualifierRank(s string) (int, bool) {
	r, ok := mvnQualifiers[s]
	return r, ok
}

func compareQualifier(a, b string) int {
	ra, oka := qualifierRank(a)
	rb, okb := qualifierRank(b)
	switch {
	case oka && okb:
		return cmpInt(ra, rb)
	case oka:
		return -1 // unknown qualifiers come after the known ones
	case okb:
		return 1
	}
	return strings.Compare(a, b)
}

// compareMvnItem compares it with other; other nil means the padding of a
// shorter list.
func compareMvnItem(it mvnItem, other *mvnItem) int {
	if other == nil {
		switch it.kind {
		case mvnInt:
			if it.isNull() {
				return 0
			}
			return 1
		case mvnString:
			return compareQualifier(it.str, "")
		default:
			if len(it.list) == 0 {
				return 0
			}
			return compareMvnItem(it.list[0], nil)
		}
	}
	switch it.kind {
	case mvnInt:
		switch other.kind {
		case mvnInt:
			return compareDigits(it.num, other.num)
		default:
			return 1 // 1.1 > 1-sp, 1.1 > 1-1
		}
	case mvnString:
		switch other.kind {
		case mvnInt, mvnList:
			return -1
		default:
			return compareQualifier(it.str, other.str)
		}
	default:
		switch other.kind {
		case mvnInt:
			return -1
		case mvnString:
			return 1
		default:
			return compareMvnLists(it.list, other.list)
		}
	}
}

func compareMvnLists(a, b []mvnItem) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var c int
		switch {
		case i >= len(a):
			c = -compareMvnItem(b[i], nil)
		case i >= len(b):
			c = compareMvnItem(a[i], nil)
		default:
			c = compareMvnItem(a[i], &b[i])
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// CompareMaven orders two Maven versions as Maven's ComparableVersion does.
func CompareMaven(a, b string) int {
	return compareMvnLists(parseMaven(a), parseMaven(b))
}
