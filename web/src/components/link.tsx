import type { ComponentChildren } from "preact";
import { onLinkClick } from "../router";

export interface LinkProps {
  href: string;
  children: ComponentChildren;
  class?: string;
  title?: string;
  "aria-current"?: "page" | "true";
  "aria-label"?: string;
}

// Link is an ordinary <a href> that navigates inside the app.
export function Link(props: LinkProps) {
  return <a {...props} onClick={onLinkClick} />;
}

// Clip shows a long value on one line with an ellipsis, the whole value
// on hover and to screen readers, and wraps it when it is focused.
export function Clip({ text, class: cls }: { text: string; class?: string }) {
  return (
    <span class={cls ? `clip ${cls}` : "clip"} title={text}>
      {text}
    </span>
  );
}
