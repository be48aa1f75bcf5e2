// Module types for electron-vite's import suffixes in the main process (`?asset` gives a file's path).
/// <reference types="electron-vite/node" />
