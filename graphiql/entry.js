// The bundle: React, ReactDOM, GraphiQL and its fetcher, exposed as one global for the page's bootstrap
// (api/static/graphiql/bootstrap.js, served as is and readable without a rebuild).
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/graphiql.css";
import React from "react";
import { createRoot } from "react-dom/client";

window.SanctuaryGraphiQLBundle = Object.freeze({ React, createRoot, GraphiQL, createGraphiQLFetcher });
