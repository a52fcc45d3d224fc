import { useEffect, useState } from "preact/hooks";

export type QueryState<T> =
  | { status: "loading"; data?: T; error?: undefined }
  | { status: "ok"; data: T; error?: undefined }
  | { status: "error"; data?: T; error: unknown };

// useQuery runs fn whenever key changes, cancels the previous call, and
// keeps the previous data while the next loads so tables do not jump.
export function useQuery<T>(key: string, fn: (signal: AbortSignal) => Promise<T>): QueryState<T> & { reload: () => void } {
  const [state, setState] = useState<QueryState<T>>({ status: "loading" });
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    setState((s) => ({ status: "loading", data: s.data }));
    fn(ac.signal).then(
      (data) => {
        if (!ac.signal.aborted) setState({ status: "ok", data });
      },
      (error: unknown) => {
        // Old rows under an error would look like the answer: drop them.
        if (!ac.signal.aborted) setState({ status: "error", error });
      },
    );
    return () => ac.abort();
    // fn is a fresh closure every render; key names everything it reads.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, nonce]);
  return { ...state, reload: () => setNonce((n) => n + 1) };
}
