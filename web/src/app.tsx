// The application shell: navigation, theme, and the page for the URL.
// Until the platform accepts the session's token, only the sign-in page
// shows.
import { useEffect, useRef, useState } from "preact/hooks";
import { type Api, ApiContext } from "./api";
import { Role } from "./gen/runwatch/v1/auth_pb";
import { type Me, MeContext, loadingMe, meFrom, unknownMe } from "./me";
import { Link } from "./components/link";
import { Empty, Loading } from "./components/states";
import { type Location, matchRoute, useLocation } from "./router";
import { Clusters } from "./pages/clusters";
import { ImagePage } from "./pages/image";
import { Images } from "./pages/images";
import { Overview } from "./pages/overview";
import { Processes } from "./pages/processes";
import { Settings } from "./pages/settings";
import { SignIn } from "./pages/signin";
import { Vulnerabilities } from "./pages/vulnerabilities";
import { Workloads } from "./pages/workloads";

const NAV = [
  { href: "/", label: "Overview" },
  { href: "/clusters", label: "Clusters" },
  { href: "/workloads", label: "Workloads" },
  { href: "/images", label: "Images" },
  { href: "/processes", label: "Processes" },
  { href: "/vulnerabilities", label: "Vulnerabilities" },
  { href: "/settings", label: "Settings" },
];

function route(loc: Location) {
  const p = loc.path;
  if (matchRoute("/", p)) return { title: "Overview", page: <Overview loc={loc} /> };
  if (matchRoute("/clusters", p)) return { title: "Clusters", page: <Clusters loc={loc} /> };
  if (matchRoute("/workloads", p)) return { title: "Workloads", page: <Workloads loc={loc} /> };
  if (matchRoute("/images", p)) return { title: "Images", page: <Images loc={loc} /> };
  const img = matchRoute("/images/:digest", p);
  if (img) return { title: `Image ${img.digest.slice(0, 19)}`, page: <ImagePage key={img.digest} loc={loc} digest={img.digest} /> };
  if (matchRoute("/processes", p)) return { title: "Processes", page: <Processes loc={loc} /> };
  if (matchRoute("/vulnerabilities", p)) return { title: "Vulnerabilities", page: <Vulnerabilities loc={loc} /> };
  const settings = matchRoute("/settings", p) ?? matchRoute("/settings/:section", p);
  if (settings) return { title: "Settings", page: <Settings loc={loc} section={settings.section ?? ""} /> };
  return {
    title: "Not found",
    page: (
      <Empty title="There is no such page">
        <Link href="/">Go to the overview</Link>
      </Empty>
    ),
  };
}

function useSession(api: Api) {
  const [, force] = useState(0);
  useEffect(() => api.session.subscribe(() => force((n) => n + 1)), [api]);
  const state = api.session.state();
  // Without a token, a session cookie may still be there: ask once.
  useEffect(() => {
    if (state.kind !== "checking") return;
    api.auth.getSession({}).then(
      () => api.session.signedInWithCookie(),
      () => {
        // Unauthenticated already signed the session out (the interceptor);
        // anything else (an older platform, a network error) means no
        // cookie session either.
        if (api.session.state().kind === "checking") api.session.signOut();
      },
    );
  }, [state.kind]);
  return state;
}

// useWhoAmI asks the platform who is signed in, once per sign-in.
function useWhoAmI(api: Api, signedIn: boolean): Me {
  const [me, setMe] = useState<Me>(loadingMe);
  useEffect(() => {
    if (!signedIn) return setMe(loadingMe);
    setMe(loadingMe);
    let live = true;
    api.auth.getSession({}).then(
      (s) => live && setMe(meFrom(s)),
      () => live && setMe(unknownMe),
    );
    return () => {
      live = false;
    };
  }, [signedIn]);
  return me;
}

type Theme = "light" | "dark" | "system";

function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem("runwatch.theme") as Theme) || "system");
  useEffect(() => {
    if (theme === "system") {
      document.documentElement.removeAttribute("data-theme");
      localStorage.removeItem("runwatch.theme");
    } else {
      document.documentElement.setAttribute("data-theme", theme);
      localStorage.setItem("runwatch.theme", theme);
    }
  }, [theme]);
  return [theme, setTheme];
}

export function App({ api }: { api: Api }) {
  const session = useSession(api);
  const loc = useLocation();
  const [theme, setTheme] = useTheme();
  const { title, page } = route(loc);

  useEffect(() => {
    document.title = `${title} · Runwatch`;
  }, [title]);
  // Move focus to the page on navigation (not on the first load) so
  // screen readers announce the new page and Tab starts from it.
  const firstPath = useRef(loc.path);
  useEffect(() => {
    if (firstPath.current === loc.path) return;
    firstPath.current = "";
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [loc.path]);

  const signedIn = session.kind === "signed-in";
  const me = useWhoAmI(api, signedIn);
  const signOut = async () => {
    if (session.kind === "signed-in" && session.via === "cookie") {
      // Ends the session on the platform and clears the cookie.
      await api.auth.logout({}).catch(() => undefined);
    }
    api.session.signOut();
  };
  if (session.kind === "checking") {
    return (
      <main id="main" class="signin">
        <Loading label="Checking your session" rows={1} />
      </main>
    );
  }
  return (
    <ApiContext.Provider value={api}>
      <MeContext.Provider value={me}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      {!signedIn ? (
        <SignIn />
      ) : (
        <div class="shell">
          <header class="topbar">
            <Link href="/" class="brand" aria-label="Runwatch overview">
              <span class="logo" aria-hidden="true" /> Runwatch
            </Link>
            <nav aria-label="Main" class="mainnav">
              {NAV.map((n) => {
                const current = n.href === "/" ? loc.path === "/" : loc.path === n.href || loc.path.startsWith(n.href + "/");
                return (
                  <Link key={n.href} href={n.href} aria-current={current ? "page" : undefined}>
                    {n.label}
                  </Link>
                );
              })}
            </nav>
            <div class="topbar-end">
              <label class="theme">
                <span class="sr-only">Theme</span>
                <select value={theme} onChange={(e) => setTheme((e.currentTarget as HTMLSelectElement).value as Theme)}>
                  <option value="system">System theme</option>
                  <option value="light">Light</option>
                  <option value="dark">Dark</option>
                </select>
              </label>
              {me.known && (
                <span class="me" title={me.role === Role.ADMIN ? "Administrator" : "Viewer"}>
                  {me.name} <span class="badge muted">{me.role === Role.ADMIN ? "admin" : "viewer"}</span>
                </span>
              )}
              <button type="button" class="button subtle" onClick={signOut}>
                Sign out
              </button>
            </div>
          </header>
          <main id="main" tabIndex={-1}>
            {page}
          </main>
        </div>
      )}
      </MeContext.Provider>
    </ApiContext.Provider>
  );
}
