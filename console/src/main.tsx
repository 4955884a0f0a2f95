import { render } from "preact";
import { loadConfig } from "./config";
import { initAuth } from "./auth";
import { initApi } from "./api";
import { App } from "./app";
import "./styles.css";

const root = document.getElementById("app")!;

loadConfig()
  .then((cfg) => {
    initAuth(cfg);
    initApi(cfg.api);
    // The boot message is plain HTML, not Preact's: clear it rather than diff against it.
    root.textContent = "";
    render(<App />, root);
  })
  .catch((e: unknown) => {
    root.textContent = `The console could not start: ${e instanceof Error ? e.message : String(e)}`;
  });
