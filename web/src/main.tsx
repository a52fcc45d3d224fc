import { render } from "preact";
import { newApi, platformTransport } from "./api";
import { App } from "./app";
import { Session } from "./session";
import "./styles.css";

const session = new Session(window.sessionStorage);
const api = newApi(platformTransport(session), session);
render(<App api={api} />, document.getElementById("app")!);
