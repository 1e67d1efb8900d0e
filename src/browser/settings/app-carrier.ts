/** The in-process app carrier in the browser build: never made, since the app option is refused (settings/app.ts). */
export class AppCarrier {
  constructor() {
    throw new Error('unreachable: the browser build refuses the app option');
  }
}
