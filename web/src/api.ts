// The platform's API as the UI sees it: Connect clients of the generated
// services over one transport that carries the session's credentials.
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { AdminService } from "./gen/runwatch/v1/admin_pb";
import { AuthService } from "./gen/runwatch/v1/auth_pb";
import { InventoryService } from "./gen/runwatch/v1/inventory_pb";
import type { Session } from "./session";

export interface Api {
  inventory: Client<typeof InventoryService>;
  admin: Client<typeof AdminService>;
  auth: Client<typeof AuthService>;
  session: Session;
}

// authInterceptor adds the bearer token (when signed in with one; a
// cookie session needs nothing) and reports refused credentials to the
// session, which then asks for new ones. Login itself is left alone: its
// refusal is the sign-in page's to show.
export function authInterceptor(session: Session): Interceptor {
  return (next) => async (req) => {
    const token = session.token();
    if (token) req.header.set("Authorization", `Bearer ${token}`);
    try {
      return await next(req);
    } catch (e) {
      const err = ConnectError.from(e);
      if (err.code === Code.Unauthenticated && !req.url.endsWith("/Login")) session.reject(err.rawMessage);
      throw err;
    }
  };
}

export function platformTransport(session: Session, baseUrl = window.location.origin): Transport {
  return createConnectTransport({
    baseUrl,
    useBinaryFormat: true,
    // Same-origin requests carry the session cookie; nothing else does.
    fetch: (input, init) => globalThis.fetch(input, { ...init, credentials: "same-origin" }),
    interceptors: [authInterceptor(session)],
  });
}

export function newApi(transport: Transport, session: Session): Api {
  return {
    inventory: createClient(InventoryService, transport),
    admin: createClient(AdminService, transport),
    auth: createClient(AuthService, transport),
    session,
  };
}

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside ApiContext");
  return api;
}

// describeError says what went wrong in words a person can act on.
export function describeError(e: unknown): { title: string; detail: string; code?: Code } {
  const err = ConnectError.from(e);
  switch (err.code) {
    case Code.Unauthenticated:
      return { title: "Signed out", detail: err.rawMessage, code: err.code };
    case Code.PermissionDenied:
      return { title: "Not allowed", detail: err.rawMessage, code: err.code };
    case Code.ResourceExhausted:
      return { title: "Too many attempts", detail: err.rawMessage, code: err.code };
    case Code.InvalidArgument:
      return { title: "The platform refused this request", detail: err.rawMessage, code: err.code };
    case Code.Unavailable:
      return { title: "The platform cannot be reached", detail: err.rawMessage, code: err.code };
    case Code.DeadlineExceeded:
      return { title: "The platform took too long", detail: err.rawMessage, code: err.code };
    case Code.NotFound:
      return { title: "Not found", detail: err.rawMessage, code: err.code };
    case Code.Unimplemented:
      return { title: "This platform does not offer this yet", detail: err.rawMessage, code: err.code };
    default:
      return { title: "Something went wrong", detail: err.rawMessage || String(e), code: err.code };
  }
}
