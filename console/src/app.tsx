/** The shell: header with navigation and who is signed in, and the page for the current path.
 * Pages other than sign-in need a session; without one the person is sent to sign in and then
 * brought back. */
import { useEffect } from "preact/hooks";
import { route, navigate, href, onLinkClick } from "./router";
import { useSignal } from "./signal";
import { session } from "./session";
import { isOidcReturn, signOut } from "./auth";
import { SignIn, Callback } from "./pages/signin";
import { EventsPage } from "./pages/events";
import { ChannelsPage } from "./pages/channels";
import { PostsPage } from "./pages/posts";
import { AutomationsPage } from "./pages/automations";

const NAV = [
  ["/events", "Events"],
  ["/channels", "Channels"],
  ["/posts", "Posts"],
  ["/automations", "Automations"],
] as const;

export function App() {
  const path = useSignal(route);
  const s = useSignal(session);
  const returning = isOidcReturn();
  const open = path === "/sign-in" || path === "/callback" || returning;

  useEffect(() => {
    if (!s && !open) {
      navigate(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`, true);
    } else if (s && (path === "/" || path === "")) {
      navigate("/events", true);
    }
  }, [s, path, open]);

  useEffect(() => {
    const title = NAV.find(([p]) => path.startsWith(p))?.[1] ?? (path === "/sign-in" ? "Sign in" : "");
    document.title = title ? `${title} · OFAuto console` : "OFAuto console";
  }, [path]);

  return (
    <div class="shell" onClick={onLinkClick}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href("/")}>
          OFAuto
        </a>
        {s && (
          <nav aria-label="Main">
            <ul>
              {NAV.map(([p, label]) => (
                <li key={p}>
                  <a href={href(p)} aria-current={path.startsWith(p) ? "page" : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {s && (
          <div class="who">
            <span>
              {s.tenant} · <strong data-testid="role">{s.role}</strong>
            </span>
            <button type="button" class="link" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {returning && !s ? <Callback /> : page(path, !!s)}
      </main>
    </div>
  );
}

function page(path: string, signedIn: boolean) {
  if (path === "/sign-in") return <SignIn />;
  if (path === "/callback") return <Callback />;
  if (!signedIn) return null;
  const [, section, id] = path.split("/");
  switch (section) {
    case "events":
      return <EventsPage id={id} />;
    case "channels":
      return <ChannelsPage />;
    case "posts":
      return <PostsPage id={id} />;
    case "automations":
      return <AutomationsPage id={id} />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no page here. Go to <a href={href("/events")}>events</a>.
          </p>
        </section>
      );
  }
}
